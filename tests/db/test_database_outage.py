"""Database outage: a live server on a private PostgreSQL cluster that stops for 30 s.

While the database is down, API calls answer 503 with ``Retry-After`` (which the Prefect
client retries) within 5 s, never 500 and never a hang; services log one line per failed
loop and no traceback; once the database is back, the same server process answers 2xx
again within 10 s. A 30 s outage runs through the pool's bounded reconnect back-off
(``ORION_DATABASE_RECONNECT_TIMEOUT``, 10 s) three times over: the state psycopg_pool's
default (300 s) only reaches after many minutes, when it then sleeps up to two minutes
before its next attempt.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db.utils import ConnectionHandler

from api.utilities.database import database_available
from orion_project.env import database_from_url
from tests.compat import harness
from tests.db.private_postgres import PrivateCluster, missing_binaries, private_cluster
from tests.fixtures.polling import wait_or_fail

OUTAGE_SECONDS = 30.0
ANSWER_WITHIN = 5.0
RECOVER_WITHIN = 10.0
TRAFFIC_PERIOD = 0.25

pytestmark = pytest.mark.skipif(missing_binaries() is not None, reason=missing_binaries() or "")


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    """A private PostgreSQL cluster the tests may stop and start."""
    with private_cluster() as started:
        yield started


@dataclasses.dataclass
class Call:
    """One API call of the traffic: when it started, how long it took, what it got."""

    path: str
    started: float
    elapsed: float
    status: int | None
    retry_after: str | None = None
    error: str | None = None

    @property
    def ended(self) -> float:
        """When the answer arrived."""
        return self.started + self.elapsed


class Traffic(threading.Thread):
    """Light traffic: one client calling ``POST path`` every ``TRAFFIC_PERIOD`` seconds."""

    def __init__(self, api_url: str, path: str, body: Callable[[], dict[str, object]]) -> None:
        super().__init__(name=f"outage-traffic {path}", daemon=True)
        self.api_url = api_url
        self.path = path
        self.body = body
        self.calls: list[Call] = []
        self.stopping = threading.Event()

    def _call(self, client: httpx.Client) -> Call:
        started = time.monotonic()
        try:
            response = client.post(self.path, json=self.body())
        except httpx.HTTPError as exc:
            return Call(self.path, started, time.monotonic() - started, None, error=repr(exc))
        return Call(
            self.path, started, time.monotonic() - started, response.status_code, response.headers.get("retry-after")
        )

    def run(self) -> None:
        """Call the API until stopped (each call bounded by the client timeout)."""
        with httpx.Client(base_url=self.api_url, timeout=30) as client:
            while not self.stopping.is_set():
                self.calls.append(self._call(client))
                self.stopping.wait(TRAFFIC_PERIOD)


def first_success_after(traffic: list[Traffic], moment: float) -> Call | None:
    """The first 2xx answer to a call started at or after ``moment``, if any yet."""
    calls = [c for t in traffic for c in list(t.calls) if c.started >= moment and c.status and c.status < 300]
    return min(calls, key=lambda c: c.ended, default=None)


def test_api_answers_503_while_the_database_is_down_and_recovers(cluster: PrivateCluster, tmp_path: Path) -> None:
    server = harness.start_server(tmp_path, services=True, database_url=cluster.url)
    traffic = [
        Traffic(server.api_url, "/flows/filter", lambda: {"limit": 5}),
        Traffic(server.api_url, "/flows/", lambda: {"name": f"outage-{uuid.uuid4().hex[:10]}"}),
    ]
    try:
        for client in traffic:
            client.start()
        wait_or_fail(lambda: first_success_after(traffic, 0), 30, "a first 2xx answer")
        log_offset = server.log_path.stat().st_size

        stopped_at = time.monotonic()
        cluster.stop()
        down_at = time.monotonic()
        threading.Event().wait(OUTAGE_SECONDS)  # the outage itself, not a synchronisation
        cluster.start()
        up_at = time.monotonic()

        recovered = wait_or_fail(lambda: first_success_after(traffic, up_at), RECOVER_WITHIN + 20, "a 2xx after the restart")
        outage_log = server.log_path.read_bytes()[log_offset:].decode(errors="replace")
    finally:
        for client in traffic:
            client.stopping.set()
        for client in traffic:
            client.join(60)
        server.stop()

    calls = [c for client in traffic for c in client.calls]
    during = [c for c in calls if c.started >= down_at and c.ended <= up_at]
    # Each client waits out the pool timeout (3 s) per call: about 8 calls each.
    assert len(during) >= 10, f"too little traffic during the outage: {len(during)} calls"
    assert {c.path for c in during} == {"/flows/filter", "/flows/"}
    wrong = [c for c in during if c.status != 503 or not c.retry_after]
    assert not wrong, f"calls during the outage not answered 503 + Retry-After: {wrong[:5]}"
    slow = [c for c in during if c.elapsed >= ANSWER_WITHIN]
    assert not slow, f"calls during the outage slower than {ANSWER_WITHIN} s: {slow[:5]}"
    broken = [c for c in calls if c.status is None or (c.status >= 500 and c.status != 503)]
    assert not broken, f"calls answered 5xx other than 503, or not at all: {broken[:5]}"
    assert recovered.ended - up_at <= RECOVER_WITHIN, f"first 2xx {recovered.ended - up_at:.1f} s after the restart"
    assert (recovered.ended - stopped_at) > OUTAGE_SECONDS

    assert "Traceback" not in outage_log, outage_log[-4000:]
    # Services log one line per failed loop: LateRuns loops every second. The line is the
    # election's when the process cannot even check that it leads, else the loop's own.
    late_runs = re.findall(
        r"MarkLateRuns(?: failed: database unavailable|: could not check which process runs it: )", outage_log
    )
    assert 1 <= len(late_runs) <= OUTAGE_SECONDS + RECOVER_WITHIN, outage_log[-4000:]
    assert "Database unavailable on POST /api/flows/filter: " in outage_log
    assert "Database unavailable on POST /api/flows/: " in outage_log


def test_database_available_follows_the_database(
    cluster: PrivateCluster, django_db_blocker: Any, tmp_path: Path
) -> None:
    # The check readiness uses, on a private connection with the server's pool settings.
    # A private alias: pools are kept per alias, so this one never touches the test database's.
    outage = database_from_url(cluster.url, tmp_path, pool_timeout=2, reconnect_timeout=5)
    handler = ConnectionHandler({"default": {"ENGINE": "django.db.backends.dummy"}, "outage": outage})
    connection = handler["outage"]
    with django_db_blocker.unblock():
        try:
            assert database_available(connection)
            cluster.stop()
            started = time.monotonic()
            assert not database_available(connection)
            assert time.monotonic() - started < ANSWER_WITHIN
            cluster.start()
            wait_or_fail(lambda: database_available(connection), RECOVER_WITHIN, "the database to be available again")
        finally:
            connection.close()
            connection.close_pool()
