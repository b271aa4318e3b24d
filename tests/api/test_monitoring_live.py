"""``/api/metrics`` and ``/api/ready`` on live daphne servers: several processes sharing a
multiprocess directory report the sum of their counters, heartbeats written by a separate
services process show from a serving one, and a server whose services loop is ready."""

from __future__ import annotations

import contextlib
import json
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.services import launcher
from tests.compat import harness
from tests.fixtures.polling import wait_or_fail
from tests.fixtures.processes import REPO_ROOT

DEADLINE = 60.0


@contextlib.contextmanager
def serving(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """A daphne server on a free loopback port with ``env``; yields its API URL."""
    port = harness.free_port()
    command = [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "orion_project.asgi:application"]
    with open(log_path, "ab") as log:
        log.write(f"$ {shlex.join(command)}\n".encode())
        log.flush()
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        api = f"http://127.0.0.1:{port}/api"
        problem = harness.wait_for_health(f"{api}/health", process, time.monotonic() + DEADLINE)
        assert problem is None, f"{problem}\n{harness.log_tail(log_path)}"
        yield api
    finally:
        harness.stop_process(process, harness.SERVER_STOP_TIMEOUT)


@contextlib.contextmanager
def services_process(env: dict[str, str], log_path: Path) -> Iterator[None]:
    """``manage.py orion_services`` with ``env``, stopped by its PID."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "orion_services"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield
    finally:
        harness.stop_process(process, harness.SERVER_STOP_TIMEOUT)


def request(url: str, body: Any = None) -> tuple[int, bytes]:
    """GET (or POST ``body`` as JSON); the status and the body, errors included."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def scrape(api: str) -> dict[tuple[str, frozenset], float]:
    status, body = request(f"{api}/metrics")
    assert status == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


@pytest.fixture
def shared_database(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """One migrated database for several processes: ``(home, database URL)``."""
    home = tmp_path / "home"
    home.mkdir()
    with harness.migrated_database_env(home) as env:
        yield home, env["PREFECT_API_DATABASE_CONNECTION_URL"]


def test_processes_sharing_a_multiprocess_dir_report_their_sum(shared_database, tmp_path: Path) -> None:
    home, db_url = shared_database
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = harness.server_environment(home, db_url, services=False, env_extra={"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)})
    route = frozenset({"method": "POST", "route": "/api/flows/filter", "status": "200"}.items())

    with serving(env, tmp_path / "a.log") as a, serving(env, tmp_path / "b.log") as b:
        for api, times in ((a, 3), (b, 2)):
            for _ in range(times):
                assert request(f"{api}/flows/filter", {})[0] == 200
        from_a, from_b = scrape(a), scrape(b)

    for samples in (from_a, from_b):
        assert samples[("orion_http_requests_total", route)] == 5
        histogram = frozenset({"method": "POST", "route": "/api/flows/filter"}.items())
        assert samples[("orion_http_request_duration_seconds_count", histogram)] == 5
        # The database gauges come once, not once per process.
        assert samples[("orion_database_up", frozenset())] == 1
    assert len(list(metrics_dir.glob("*.db"))) >= 2  # one file per process and metric kind


def test_heartbeats_of_a_separate_services_process_show_in_the_metrics(shared_database, tmp_path: Path) -> None:
    home, db_url = shared_database
    api_env = harness.server_environment(home, db_url, services=False)
    services_env = harness.server_environment(home, db_url, services=True)
    # Every service the launcher knows runs in the services process (all flags are on).
    expected = {dotted.rsplit(".", 1)[1] for dotted in launcher.SERVICES}

    with serving(api_env, tmp_path / "api.log") as api, services_process(services_env, tmp_path / "services.log"):
        def reported() -> set[str]:
            return {
                dict(labels)["service"]
                for name, labels in scrape(api)
                if name == "orion_service_last_success_timestamp_seconds"
            }

        wait_or_fail(lambda: reported() == expected, DEADLINE, f"heartbeats of {sorted(expected)}", interval=0.2)
        samples = scrape(api)

    now = time.time()
    for service in expected:
        labels = frozenset({"service": service}.items())
        assert now - 120 < samples[("orion_service_last_success_timestamp_seconds", labels)] <= now + 5
        assert samples[("orion_service_loop_duration_seconds", labels)] >= 0


def test_a_server_whose_services_loop_is_ready(tmp_path: Path) -> None:
    server = harness.start_server(tmp_path, services=True)
    try:
        status, body = request(f"{server.api_url}/ready")
        # Ready at once: services that have not finished a loop yet are "starting".
        assert status == 200, body
        assert set(json.loads(body)["services"]) >= {"Scheduler", "MarkLateRuns"}

        def all_ok() -> dict[str, Any] | None:
            status, body = request(f"{server.api_url}/ready")
            answer = json.loads(body)
            statuses = {service["status"] for service in answer["services"].values()}
            return answer if status == 200 and statuses == {"ok"} else None

        answer = wait_or_fail(all_ok, DEADLINE, "every service ok", interval=0.2)
    finally:
        server.stop()

    assert answer["database"] == "ok"
    assert all(service["last_success"] for service in answer["services"].values())
