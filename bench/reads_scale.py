#!/usr/bin/env python
"""Reads at scale: how long the UI's and the CLI's reads take over a large database.

    .venv/bin/python bench/reads_scale.py [--flow-runs 1000000] [--logs-per-run 5]
        [--task-runs-per-run 2] [--repeat 5] [--explain] [--keep URL]

Makes a fresh database (a SQLite file in a temporary directory, or, when ``DATABASE_URL``
names a PostgreSQL server, a throw-away database there, dropped at the end), migrates it,
fills it with bulk SQL (``COPY`` on PostgreSQL, ``executemany`` in large transactions on
SQLite; never the API): ``--flow-runs`` flow runs over the last 30 days with one state row
each, ``--task-runs-per-run`` task runs (with states) and ``--logs-per-run`` log lines per
run. Then it starts this server under daphne on a free loopback port and times, one call
at a time, each read the UI and the CLI make, printing the median of ``--repeat`` calls
against the targets (100 ms, 300 ms for name and tag search). ``--explain`` also prints
the database's plan of every SQL statement each read runs.

``--keep URL`` (``sqlite:////abs/path.db`` or a ``postgresql://`` URL naming a database,
created if missing) fills that database instead and keeps it; a later run with the same
URL migrates it (so new indexes are built on the full tables) and skips the fill, which
at a million runs takes far longer than the reads.

Timings are reported, never judged: the exit status is non-zero only when a read fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402 - after the path set-up, like the modules below

from api.utilities.ids import new_id  # noqa: E402
from tests.compat import harness  # noqa: E402

# Flow runs per transaction (with their states, task runs and logs): large enough to
# amortise the commit, small enough to keep the memory of one chunk modest.
CHUNK = 10000
FLOWS = 20
DEPLOYMENTS = 10
TAGS = [f"team-{n}" for n in range(20)] + ["env-prod", "env-dev", "env-test"]
WORDS = ["amber", "brisk", "cobalt", "dapper", "eager", "fuzzy", "gentle", "hasty", "ivory", "jolly"]
ANIMALS = ["aardvark", "badger", "camel", "dingo", "egret", "ferret", "gecko", "heron", "ibis", "jackal"]
# (state type, state name, share of the runs): roughly a busy team's history.
STATES = [
    ("COMPLETED", "Completed", 0.70),
    ("FAILED", "Failed", 0.08),
    ("CRASHED", "Crashed", 0.02),
    ("CANCELLED", "Cancelled", 0.03),
    ("RUNNING", "Running", 0.02),
    ("PENDING", "Pending", 0.01),
    ("SCHEDULED", "Scheduled", 0.10),
    ("SCHEDULED", "Late", 0.04),
]
TARGET_MS = 100.0
SEARCH_TARGET_MS = 300.0


def configure_django(db_url: str, home: Path) -> None:
    """Point this process's Django at ``db_url`` (for the fill and the plans)."""
    for name in ("DATABASE_URL",):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "orion_project.settings",
            "PREFECT_HOME": str(home),
            "PREFECT_API_DATABASE_CONNECTION_URL": db_url,
        }
    )
    import django

    django.setup()


def pick_state(rng: random.Random) -> tuple[str, str]:
    """A (type, name) drawn with the shares of ``STATES``."""
    draw = rng.random()
    for state_type, name, share in STATES:
        draw -= share
        if draw < 0:
            return state_type, name
    return STATES[0][0], STATES[0][1]


class Writer:
    """Bulk row writer for one table, COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, table: str, columns: list[str]) -> None:
        from django.db import connection

        self.table, self.columns = table, columns
        self.postgres = connection.vendor == "postgresql"
        self.rows: list[tuple[Any, ...]] = []

    def value(self, value: Any) -> Any:
        """``value`` as the database column stores it (Django's SQLite encodings)."""
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        if self.postgres:
            return value
        if isinstance(value, uuid.UUID):
            return value.hex
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(" ")
        if isinstance(value, dt.timedelta):
            return int(value / dt.timedelta(microseconds=1))
        if isinstance(value, bool):
            return int(value)
        return value

    def add(self, *row: Any) -> None:
        """Queue one row."""
        self.rows.append(tuple(self.value(v) for v in row))

    def flush(self) -> None:
        """Write the queued rows (inside the caller's transaction)."""
        from django.db import connection

        if not self.rows:
            return
        names = ", ".join(f'"{c}"' for c in self.columns)
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f'COPY "{self.table}" ({names}) FROM STDIN') as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f'INSERT INTO "{self.table}" ({names}) VALUES ({marks})', self.rows)
        self.rows = []


RUN_COLUMNS = [
    "id", "created", "updated", "name", "state_type", "state_name", "state_timestamp", "run_count",
    "expected_start_time", "next_scheduled_start_time", "start_time", "end_time", "total_run_time",
    "empirical_policy", "tags",
]
STATE_COLUMNS = ["id", "created", "updated", "type", "timestamp", "name", "message", "state_details"]


def fill(flow_runs: int, task_runs_per_run: int, logs_per_run: int, seed: int = 7) -> dict[str, Any]:
    """Write the rows; return ids the reads need (one run, one deployment)."""
    from django.db import transaction

    from api import models

    rng = random.Random(seed)
    now = dt.datetime.now(dt.timezone.utc)
    flows = models.Flow.objects.bulk_create([models.Flow(name=f"bench-flow-{n}") for n in range(FLOWS)])
    deployments = models.Deployment.objects.bulk_create(
        [models.Deployment(name=f"bench-deployment-{n}", flow=flows[n % FLOWS]) for n in range(DEPLOYMENTS)]
    )
    runs = Writer("flow_run", [*RUN_COLUMNS, "flow_id", "deployment_id", "parameters", "context",
                               "auto_scheduled", "state_id"])
    run_states = Writer("flow_run_state", [*STATE_COLUMNS, "flow_run_id"])
    tasks = Writer("task_run", [*RUN_COLUMNS, "task_key", "dynamic_key", "flow_run_run_count",
                                "task_inputs", "flow_run_id", "state_id"])
    task_states = Writer("task_run_state", [*STATE_COLUMNS, "task_run_id"])
    logs = Writer("log", ["id", "created", "updated", "name", "level", "message", "timestamp",
                          "flow_run_id", "task_run_id"])
    sample: dict[str, Any] = {}
    for index in range(flow_runs):
        run_id, state_id = new_id(), new_id()
        state_type, state_name = pick_state(rng)
        if state_type == "SCHEDULED" and state_name == "Scheduled":
            expected = now + dt.timedelta(seconds=rng.uniform(60, 7 * 86400))
        else:
            expected = now - dt.timedelta(seconds=rng.uniform(60, 30 * 86400))
        started = expected + dt.timedelta(seconds=rng.uniform(0, 30)) if state_type not in ("SCHEDULED", "PENDING") else None
        duration = dt.timedelta(seconds=rng.uniform(1, 600))
        ended = started + duration if started and state_type not in ("RUNNING",) else None
        state_time = ended or started or expected - dt.timedelta(hours=1)
        next_start = expected if state_type == "SCHEDULED" else None
        tags = rng.sample(TAGS, 2)
        deployment = deployments[index % DEPLOYMENTS] if index % 2 else None
        name = f"{WORDS[index % 10]}-{ANIMALS[(index // 10) % 10]}-{index}"
        runs.add(
            run_id, expected - dt.timedelta(hours=1), state_time, name, state_type, state_name, state_time,
            1 if started else 0, expected, next_start, started, ended, duration if ended else dt.timedelta(0),
            {}, tags, flows[index % FLOWS].id, deployment.id if deployment else None, {}, {},
            deployment is not None, state_id,
        )
        run_states.add(state_id, state_time, state_time, state_type, state_time, state_name, None, {}, run_id)
        task_ids = []
        for task_index in range(task_runs_per_run):
            task_id, task_state = new_id(), new_id()
            task_ids.append(task_id)
            tasks.add(
                task_id, state_time, state_time, f"task-{task_index}", state_type, state_name, state_time,
                1 if started else 0, expected, next_start, started, ended,
                duration if ended else dt.timedelta(0), {}, [], "bench.task", str(task_index), 1, {},
                run_id, task_state,
            )
            task_states.add(task_state, state_time, state_time, state_type, state_time, state_name, None, {}, task_id)
        for log_index in range(logs_per_run):
            stamp = (started or expected) + dt.timedelta(seconds=log_index)
            logs.add(
                new_id(), stamp, stamp, "prefect.flow_runs", 40 if log_index % 17 == 0 else 20,
                f"line {log_index} of {name}", stamp, run_id, task_ids[log_index % len(task_ids)] if task_ids else None,
            )
        if index == flow_runs // 2:
            sample = {"run_id": str(run_id), "run_name": name}
        if (index + 1) % CHUNK == 0 or index + 1 == flow_runs:
            # One transaction per chunk: runs and states point at each other, and the
            # foreign keys are checked at commit.
            with transaction.atomic():
                for writer in (runs, run_states, tasks, task_states, logs):
                    writer.flush()
        if (index + 1) % 100000 == 0:
            print(f"  {index + 1} flow runs written", file=sys.stderr)
    sample["deployment_id"] = str(deployments[1].id)
    return sample


BULK_TABLES = ("flow_run", "flow_run_state", "task_run", "task_run_state", "log")


def drop_secondary_indexes() -> list[str]:
    """Drop the bulk tables' plain indexes; return the SQL that rebuilds them.

    One sort per index after the load is far cheaper than keeping a dozen B-trees
    ordered through millions of random-UUID inserts. Indexes that back a primary key or
    a unique constraint stay: they are part of the tables' contract.
    """
    from django.db import connection

    tables = ", ".join(f"'{name}'" for name in BULK_TABLES)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ({tables}) "
                "AND indexname::regclass NOT IN (SELECT conindid FROM pg_constraint)"
            )
        else:
            cursor.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({tables}) "
                "AND sql IS NOT NULL"
            )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in indexes]


def rebuild_indexes(definitions: list[str]) -> None:
    """Run the index definitions ``drop_secondary_indexes`` returned."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET maintenance_work_mem = '512MB'")
        for definition in definitions:
            cursor.execute(definition)


def loading_pragmas() -> None:
    """SQLite: no fsync, a large page cache and no foreign-key checks while loading.

    The checks must go with the indexes: runs and states point at each other, so each
    chunk commits with deferred violations outstanding, and SQLite then searches the
    child table for every parent row inserted, a full scan once its index is dropped.
    The fill writes every reference itself, consistent by construction.
    """
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = OFF")
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -1000000")


def filled_sample() -> dict[str, Any] | None:
    """The ids a kept, already filled database gives the reads; None when it is empty."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM flow_run")
        (total,) = cursor.fetchone()
        if not total:
            return None
        cursor.execute(
            "SELECT id, name FROM flow_run WHERE name LIKE %s",
            [f"%-{total // 2}"],
        )
        run_id, name = cursor.fetchone()
        cursor.execute("SELECT id FROM deployment WHERE name = 'bench-deployment-1'")
        (deployment_id,) = cursor.fetchone()
    return {"run_id": str(uuid.UUID(str(run_id))), "run_name": name,
            "deployment_id": str(uuid.UUID(str(deployment_id))), "flow_runs": total}


def analyze() -> None:
    """Refresh the planner's statistics after the bulk load, and on PostgreSQL the
    visibility map too (what autovacuum does to a live database): without it no scan is
    index-only, and ``COUNT(*)`` reads every heap page of a freshly loaded table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if connection.vendor == "postgresql" else "ANALYZE")


def reads(sample: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], float]]:
    """The reads: (label, path, body, target ms). The UI's flow-runs tabs, its dashboard,
    a run's page, a deployment's page and the CLI's ``prefect flow-run ls``."""
    now = dt.datetime.now(dt.timezone.utc)
    week_ago = (now - dt.timedelta(days=7)).isoformat()
    day_ahead = (now + dt.timedelta(days=1)).isoformat()

    def states(*names: str) -> dict[str, Any]:
        return {"flow_runs": {"state": {"type": {"any_": list(names)}}}}

    run = sample["run_id"]
    needle = sample["run_name"].rsplit("-", 1)[1]
    items: list[tuple[str, str, dict[str, Any], float]] = [
        ("runs tab: all, newest", "/flow_runs/filter", {"sort": "START_TIME_DESC", "limit": 50}, TARGET_MS),
        ("runs tab: all, expected desc", "/flow_runs/filter", {"sort": "EXPECTED_START_TIME_DESC", "limit": 50}, TARGET_MS),
        ("runs tab: running/pending", "/flow_runs/filter",
         {**states("RUNNING", "PENDING", "CANCELLING"), "sort": "START_TIME_DESC", "limit": 50}, TARGET_MS),
        ("runs tab: scheduled", "/flow_runs/filter",
         {**states("SCHEDULED"), "sort": "NEXT_SCHEDULED_START_TIME_ASC", "limit": 50}, TARGET_MS),
        ("runs tab: completed", "/flow_runs/filter", {**states("COMPLETED"), "sort": "END_TIME_DESC", "limit": 50}, TARGET_MS),
        ("runs tab: failed/crashed", "/flow_runs/filter",
         {**states("FAILED", "CRASHED"), "sort": "START_TIME_DESC", "limit": 50}, TARGET_MS),
        ("runs tab: by name", "/flow_runs/filter", {"sort": "NAME_ASC", "limit": 50}, TARGET_MS),
        ("count: all", "/flow_runs/count", {}, TARGET_MS),
        ("count: failed/crashed", "/flow_runs/count", states("FAILED", "CRASHED"), TARGET_MS),
        ("history: 7 days by hour", "/flow_runs/history",
         {"history_start": week_ago, "history_end": day_ahead, "history_interval_seconds": 3600}, TARGET_MS),
        ("ui history: 7 days", "/ui/flow_runs/history",
         {"flow_runs": {"expected_start_time": {"after_": week_ago, "before_": day_ahead}}, "limit": 1000}, TARGET_MS),
        ("task runs of one run", "/task_runs/filter",
         {"flow_runs": {"id": {"any_": [run]}}, "sort": "EXPECTED_START_TIME_DESC", "limit": 200}, TARGET_MS),
        ("logs of one run", "/logs/filter",
         {"logs": {"flow_run_id": {"any_": [run]}, "level": {"ge_": 0}}, "sort": "TIMESTAMP_ASC", "limit": 200}, TARGET_MS),
        ("deployment runs", "/flow_runs/filter",
         {"deployments": {"id": {"any_": [sample["deployment_id"]]}}, "sort": "START_TIME_DESC", "limit": 50}, TARGET_MS),
        ("name like_ search", "/flow_runs/filter",
         {"flow_runs": {"name": {"like_": needle}}, "sort": "START_TIME_DESC", "limit": 50}, SEARCH_TARGET_MS),
        ("name like_ count", "/flow_runs/count", {"flow_runs": {"name": {"like_": needle}}}, SEARCH_TARGET_MS),
        ("tags all_ filter", "/flow_runs/filter",
         {"flow_runs": {"tags": {"all_": ["team-3", "env-prod"]}}, "sort": "START_TIME_DESC", "limit": 50}, SEARCH_TARGET_MS),
        ("tags all_ count", "/flow_runs/count", {"flow_runs": {"tags": {"all_": ["team-3", "env-prod"]}}}, SEARCH_TARGET_MS),
    ]
    return items


def time_reads(api_url: str, items: list[tuple[str, str, dict[str, Any], float]], repeat: int) -> list[tuple[str, float, float, int]]:
    """Median milliseconds of ``repeat`` sequential calls of each read (after one warm-up)."""
    results = []
    with httpx.Client(base_url=api_url, timeout=300) as api:
        for label, path, body, target in items:
            response = api.post(path, json=body)
            response.raise_for_status()
            size = len(response.json()) if isinstance(response.json(), list) else response.json()
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                api.post(path, json=body).raise_for_status()
                samples.append((time.perf_counter() - started) * 1000)
            results.append((label, statistics.median(samples), target, size))
    return results


def explain(items: list[tuple[str, str, dict[str, Any], float]]) -> Iterator[str]:
    """The plan of every SQL statement each read runs, through Django's test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    postgres = connection.vendor == "postgresql"
    for label, path, body, _ in items:
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                f"/api{path}", data=json.dumps(body), content_type="application/json", HTTP_HOST="127.0.0.1"
            )
        yield f"### {label} ({path}): HTTP {response.status_code}"
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            yield f"-- {sql[:300]}{'...' if len(sql) > 300 else ''}"
            with connection.cursor() as cursor:
                cursor.execute(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + sql)
                for row in cursor.fetchall():
                    yield "   " + " | ".join(str(cell) for cell in row)


def ensure_postgres_database(url: str) -> None:
    """Create the PostgreSQL database ``url`` names unless it exists."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def main(argv: list[str] | None = None) -> int:
    """Make, fill, serve, time, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flow-runs", type=int, default=1_000_000)
    parser.add_argument("--task-runs-per-run", type=int, default=2)
    parser.add_argument("--logs-per-run", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="print the plan of every read's SQL")
    parser.add_argument("--keep", metavar="URL", help="fill (or reuse) and keep this database")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="orion-reads-") as workdir:
        home = Path(workdir) / "server-home"
        home.mkdir()
        outer = harness.outer_database_url()
        drop = None
        if options.keep:
            db_url = options.keep
            if harness.is_postgres_url(db_url):
                ensure_postgres_database(db_url)
        elif harness.is_postgres_url(outer):
            db_url, drop = harness.create_postgres_database(outer)
        else:
            db_url = f"sqlite:///{home / 'orion.db'}"
        server = None
        try:
            configure_django(db_url, home)
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            database = "PostgreSQL" if harness.is_postgres_url(db_url) else "SQLite"
            sample = filled_sample() if options.keep else None
            if sample is not None:
                # Statistics for the indexes a migration may just have built.
                analyze()
                print(f"{database}: reusing {db_url} with {sample['flow_runs']} flow runs")
            else:
                started = time.monotonic()
                loading_pragmas()
                definitions = drop_secondary_indexes()
                sample = fill(options.flow_runs, options.task_runs_per_run, options.logs_per_run)
                loaded = time.monotonic() - started
                rebuild_indexes(definitions)
                analyze()
                filled = time.monotonic() - started
                print(
                    f"{database}: {options.flow_runs} flow runs, {options.flow_runs * options.task_runs_per_run} "
                    f"task runs, {options.flow_runs * options.logs_per_run} logs filled in {filled:.0f} s "
                    f"({loaded:.0f} s of rows, then the indexes); load average {os.getloadavg()[0]:.2f}"
                )
            server = harness.start_server(Path(workdir), services=False, database_url=db_url)
            items = reads(sample)
            results = time_reads(server.api_url, items, options.repeat)
            print(f"load average after timing: {os.getloadavg()[0]:.2f}")
            print(f"{'read':34} {'median ms':>10} {'target':>7}  rows")
            for label, median, target, size in results:
                mark = "ok" if median <= target else "OVER"
                print(f"{label:34} {median:10.1f} {target:7.0f}  {size}  {mark}")
            if options.explain:
                for line in explain(items):
                    print(line)
        finally:
            if server is not None:
                server.stop()
            from django.db import connections

            connections.close_all()
            if drop is not None:
                drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
