"""Concurrent writers never fail with "database is locked".

Several processes (as several server workers would) run read-then-write transactions
against one database at the same time; every transaction must commit. On SQLite this is
what WAL, the busy timeout and ``BEGIN IMMEDIATE`` are for; on PostgreSQL it runs the same
workload on a throw-away database.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.compat import harness
from tests.fixtures.processes import race, run_django_script

WORKERS = 6
WRITES_PER_WORKER = 25

_WORKER = textwrap.dedent(
    """
    import os, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "orion_project.settings"
    import django
    django.setup()
    from django.db import transaction
    from api.models import Flow

    worker = sys.argv[1]
    for n in range(int(sys.argv[2])):
        # Read first, then write: the lock upgrade that fails under deferred transactions.
        with transaction.atomic():
            Flow.objects.filter(name__startswith="w").count()
            Flow.objects.create(name=f"w{worker}-{n}")  # a plain insert: the write under test
    print("done", worker)
    """
)

_COUNT = 'from api.models import Flow\nprint(Flow.objects.filter(name__startswith="w").count())\n'


@pytest.fixture
def database_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for subprocesses sharing one fresh, migrated database."""
    with harness.migrated_database_env(tmp_path) as env:
        yield env


def test_concurrent_write_transactions_all_commit(database_env: dict[str, str]) -> None:
    race(_WORKER, database_env, WORKERS, timeout=180, racer_args=lambda i: (str(i), str(WRITES_PER_WORKER)))
    count = run_django_script(_COUNT, database_env)
    assert int(count.strip()) == WORKERS * WRITES_PER_WORKER


def _committed_elsewhere(db_url: str, name: str) -> bool:
    """Whether a connection of our own (not the server's) sees the flow ``name``."""
    if harness.is_postgres_url(db_url):
        import psycopg

        with psycopg.connect(db_url, connect_timeout=10) as conn:
            return conn.execute("SELECT 1 FROM flow WHERE name = %s", (name,)).fetchone() is not None
    path = db_url.split(":///", 1)[1]
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
        return conn.execute("SELECT 1 FROM flow WHERE name = ?", (name,)).fetchone() is not None


def test_concurrent_api_writers_all_succeed_and_are_durable(tmp_path: Path) -> None:
    """Threads creating flows through a live server at once: every request answers 201,
    and each row is already committed when its 201 arrives."""
    server = harness.start_server(tmp_path, services=False)
    try:

        def writer(worker: int) -> list[str]:
            problems = []
            with httpx.Client(base_url=server.api_url, timeout=60) as client:
                for n in range(WRITES_PER_WORKER):
                    name = f"api-{worker}-{n}"
                    response = client.post("/flows/", json={"name": name, "tags": ["load"]})
                    if response.status_code != 201:
                        problems.append(f"{name}: {response.status_code} {response.text[:200]}")
                    elif not _committed_elsewhere(server.db_url, name):
                        problems.append(f"{name}: 201 before the row was committed")
                    # Reads interleave with the other writers' transactions.
                    client.post("/flows/filter", json={"limit": 5})
            return problems

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            problems = [p for result in pool.map(writer, range(WORKERS)) for p in result]
        assert not problems, problems[:10]
        with httpx.Client(base_url=server.api_url, timeout=60) as client:
            count = client.post("/flows/count", json={"flows": {"tags": {"all_": ["load"]}}})
        assert count.json() == WORKERS * WRITES_PER_WORKER
    finally:
        server.stop()
