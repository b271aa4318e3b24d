"""Test data for the browser tests, made through the HTTP API as a client would."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from tests.compat import harness

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


def now(offset_seconds: float = 0) -> str:
    """An API datetime ``offset_seconds`` from now."""
    return (datetime.now(timezone.utc) + timedelta(seconds=offset_seconds)).isoformat()


def state(state_type: str, name: str | None = None, **details: Any) -> dict[str, Any]:
    """A StateCreate body."""
    return {"type": state_type, "name": name or state_type.title(), "state_details": details}


def flow(api: httpx.Client, name: str | None = None) -> dict[str, Any]:
    """Create (or get) a flow."""
    return api.post("/flows/", json={"name": name or f"flow-{uuid.uuid4().hex[:8]}"}).json()


def flow_run(
    api: httpx.Client, flow_id: str, name: str, state_type: str = "RUNNING", **fields: Any
) -> dict[str, Any]:
    """Create a flow run in ``state_type``."""
    body = {"flow_id": flow_id, "name": name, "state": state(state_type), **fields}
    return api.post("/flow_runs/", json=body).json()


def set_flow_run_state(api: httpx.Client, run_id: str, state_type: str, name: str | None = None) -> dict[str, Any]:
    """Force a flow run into a state."""
    return api.post(f"/flow_runs/{run_id}/set_state", json={"state": state(state_type, name), "force": True}).json()


def task_run(api: httpx.Client, flow_run_id: str, name: str, state_type: str = "COMPLETED") -> dict[str, Any]:
    """Create a task run of ``flow_run_id`` that started a second ago, in ``state_type``."""
    created = api.post(
        "/task_runs/",
        json={"flow_run_id": flow_run_id, "task_key": name, "dynamic_key": "0", "name": name, "state": state("RUNNING")},
    ).json()
    if state_type != "RUNNING":
        api.post(f"/task_runs/{created['id']}/set_state", json={"state": state(state_type), "force": True})
    return created


def logs(api: httpx.Client, flow_run_id: str, messages: list[tuple[str, str]], start_offset: float = 0) -> None:
    """Write (level name, message) log lines for ``flow_run_id``, a millisecond apart."""
    base = datetime.now(timezone.utc) + timedelta(seconds=start_offset)
    body = [
        {
            "name": "prefect.flow_runs",
            "level": LEVELS[level],
            "message": message,
            "timestamp": (base + timedelta(milliseconds=index)).isoformat(),
            "flow_run_id": flow_run_id,
        }
        for index, (level, message) in enumerate(messages)
    ]
    api.post("/logs/", json=body)


def big_run(server: harness.OrionServer, api: httpx.Client, task_runs: int, flow_runs: int, timeout: float) -> dict[str, Any]:
    """A running flow run holding ``task_runs`` task runs, plus ``flow_runs`` runs over the
    last 30 days; the bulk rows go straight to the database (tests/ui/fill_scale.py), since
    making them through the API would take the test's whole budget."""
    flow_row = flow(api, "big-flow")
    run = flow_run(api, flow_row["id"], "big-run", "RUNNING")
    env = harness.server_environment(server.home, server.db_url, services=False)
    subprocess.run(
        [sys.executable, "-m", "tests.ui.fill_scale", run["id"], str(task_runs), str(flow_runs)],
        cwd=harness.REPO_ROOT, env=env, check=True, timeout=timeout,
    )
    return run
