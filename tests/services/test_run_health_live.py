"""Run health and retention through a live server: daphne on a loopback port with the
crashed-runs, cancellation clean-up and retention services on short loops set by their
flags, driven over HTTP only (as the client and the UI would)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.compat import harness

AFTER_SECONDS = 5
RETENTION_SECONDS = 4
DEADLINE_SECONDS = 60

SERVICE_ENV = {
    "PREFECT_API_SERVICES_CRASHED_RUNS_ENABLED": "true",
    "PREFECT_API_SERVICES_CRASHED_RUNS_LOOP_SECONDS": "0.5",
    "PREFECT_API_SERVICES_CRASHED_RUNS_AFTER_SECONDS": str(AFTER_SECONDS),
    "PREFECT_API_SERVICES_CANCELLATION_CLEANUP_ENABLED": "true",
    "PREFECT_API_SERVICES_CANCELLATION_CLEANUP_LOOP_SECONDS": "0.5",
    "PREFECT_API_SERVICES_CANCELLATION_CLEANUP_TIMEOUT_SECONDS": "2",
    "PREFECT_API_SERVICES_RETENTION_ENABLED": "true",
    "PREFECT_API_SERVICES_RETENTION_LOOP_SECONDS": "0.5",
    "PREFECT_API_SERVICES_RETENTION_DAYS": repr(RETENTION_SECONDS / 86400),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.OrionServer]:
    """One live server for the module; the other services stay off."""
    server = harness.start_server(tmp_path_factory.mktemp("run-health"), services=False, env_extra=SERVICE_ENV)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def api(server: harness.OrionServer) -> Callable[..., tuple[int, Any]]:
    """``api(method, path, body)`` -> (status, JSON body or None)."""

    def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{server.api_url}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None

    return call


def poll(check: Callable[[], bool], server: harness.OrionServer, what: str, between: Callable[[], None] = lambda: None) -> None:
    """Wait until ``check()`` holds, calling ``between()`` each round; fail at the deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if check():
            return
        between()
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {DEADLINE_SECONDS} s\n{server.log_tail()}")


def new_run(api, state: dict[str, Any]) -> str:
    status, flow = api("POST", "/flows/", {"name": f"live-{uuid.uuid4().hex[:8]}"})
    assert status in (200, 201), flow
    status, run = api("POST", "/flow_runs/", {"flow_id": flow["id"], "state": state})
    assert status == 201, run
    return run["id"]


def state_of(api, run_id: str) -> tuple[str, str | None]:
    status, run = api("GET", f"/flow_runs/{run_id}")
    assert status == 200, run
    return run["state_type"], run["state"]["message"]


def send_log(api, run_id: str) -> None:
    line = {"name": "live", "level": 20, "message": "still here", "timestamp": "2024-01-01T00:00:00Z", "flow_run_id": run_id}
    status, body = api("POST", "/logs/", [line])
    assert status == 201, body


def test_a_silent_run_crashes_and_a_logging_one_does_not(server, api) -> None:
    silent = new_run(api, {"type": "RUNNING"})
    chatty = new_run(api, {"type": "RUNNING"})
    status, task = api("POST", "/task_runs/", {"flow_run_id": silent, "task_key": "t", "dynamic_key": "0", "state": {"type": "RUNNING"}})
    assert status == 201, task

    poll(lambda: state_of(api, silent)[0] == "CRASHED", server, "crashing the silent run", lambda: send_log(api, chatty))

    assert f"No activity for {AFTER_SECONDS} seconds" in state_of(api, silent)[1]
    status, task_after = api("GET", f"/task_runs/{task['id']}")
    assert task_after["state_type"] == "CRASHED"
    # It logged all along (every 0.2 s, well within the window): never touched.
    assert state_of(api, chatty)[0] == "RUNNING"


def test_a_slot_of_a_deleted_task_run_is_released(server, api) -> None:
    tag = f"live-{uuid.uuid4().hex[:8]}"
    status, _ = api("POST", "/concurrency_limits/", {"tag": tag, "concurrency_limit": 1})
    assert status in (200, 201)
    run = new_run(api, {"type": "RUNNING"})
    status, task = api("POST", "/task_runs/", {"flow_run_id": run, "task_key": "t", "dynamic_key": "0", "tags": [tag]})
    assert status == 201, task
    status, result = api("POST", f"/task_runs/{task['id']}/set_state", {"state": {"type": "RUNNING"}})
    assert result["status"] == "ACCEPT", result
    assert api("GET", f"/concurrency_limits/tag/{tag}")[1]["active_slots"] == [task["id"]]

    status, _ = api("DELETE", f"/task_runs/{task['id']}")
    assert status == 204

    poll(lambda: api("GET", f"/concurrency_limits/tag/{tag}")[1]["active_slots"] == [], server, "releasing the slot")


def test_stuck_cancellations_finish(server, api) -> None:
    started = new_run(api, {"type": "RUNNING"})
    never_started = new_run(api, {"type": "SCHEDULED"})
    for run in (started, never_started):
        status, result = api("POST", f"/flow_runs/{run}/set_state", {"state": {"type": "CANCELLING"}})
        assert (status, result["status"]) == (201, "ACCEPT"), result

    for run in (never_started, started):
        poll(lambda run=run: state_of(api, run)[0] == "CANCELLED", server, f"cancelling {run}")


def test_finished_runs_expire_with_their_logs_and_task_runs(server, api) -> None:
    run = new_run(api, {"type": "RUNNING"})
    status, task = api("POST", "/task_runs/", {"flow_run_id": run, "task_key": "t", "dynamic_key": "0", "state": {"type": "COMPLETED"}})
    assert status == 201
    send_log(api, run)
    status, result = api("POST", f"/flow_runs/{run}/set_state", {"state": {"type": "COMPLETED"}})
    assert result["status"] == "ACCEPT", result

    poll(lambda: api("GET", f"/flow_runs/{run}")[0] == 404, server, "purging the finished run")

    assert api("GET", f"/task_runs/{task['id']}")[0] == 404
    status, lines = api("POST", "/logs/filter", {"logs": {"flow_run_id": {"any_": [run]}}})
    assert (status, lines) == (200, [])
