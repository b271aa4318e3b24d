"""Fixtures of the service tests: runs created and moved through ``api.crud`` and
orchestration (as the API would), a scratch database for subprocess tests, and a reader
of a run as the API returns it."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
from django.utils import timezone

from api import models, orchestration
from api.crud import flow_runs, flows, task_runs
from api.schemas.actions import FlowCreate, FlowRunCreate, TaskRunCreate
from api.schemas.states import StateCreate
from tests.compat import harness

REPO_ROOT = Path(__file__).resolve().parents[2]


def state(state_type: str, **fields: Any) -> StateCreate:
    """A proposed state; ``state_details`` may be given as a dict."""
    return StateCreate.model_validate({"type": state_type, **fields})


def ago(**delta: float) -> dt.datetime:
    """A moment in the past (``ago(hours=1)``)."""
    return timezone.now() - dt.timedelta(**delta)


def from_now(**delta: float) -> dt.datetime:
    """A moment in the future."""
    return timezone.now() + dt.timedelta(**delta)


@pytest.fixture
def flow(db: None) -> models.Flow:
    """A flow to hang runs on."""
    row, _ = flows.create_flow(FlowCreate(name=f"svc-flow-{uuid.uuid4().hex[:8]}"))
    return row


@pytest.fixture
def make_flow_run(flow: models.Flow) -> Callable[..., models.FlowRun]:
    """Create a flow run in ``initial`` (then each state of ``then``, forced, in order)."""

    def make(initial: Optional[StateCreate] = None, *then: StateCreate, **fields: Any) -> models.FlowRun:
        run, _ = flow_runs.create_flow_run(FlowRunCreate(flow_id=flow.id, state=initial, **fields))
        for next_state in then:
            orchestration.set_flow_run_state(run.id, next_state, force=True)
        return models.FlowRun.objects.get(id=run.id)

    return make


@pytest.fixture
def make_task_run() -> Callable[..., models.TaskRun]:
    """Create a task run of ``flow_run`` in ``initial``."""

    def make(flow_run: models.FlowRun, initial: Optional[StateCreate] = None) -> models.TaskRun:
        run, _ = task_runs.create_task_run(
            TaskRunCreate(flow_run_id=flow_run.id, task_key=uuid.uuid4().hex, dynamic_key="0", state=initial)
        )
        return run

    return make


@pytest.fixture
def read_run(client: Any) -> Callable[[str, Any], dict[str, Any]]:
    """A flow run (``read_run("flow", id)``) or task run as ``GET /api/<kind>_runs/<id>`` returns it."""

    def read(kind: str, run_id: Any) -> dict[str, Any]:
        response = client.get(f"/api/{kind}_runs/{run_id}")
        assert response.status_code == 200, response.content
        return response.json()

    return read


@pytest.fixture
def scratch_database_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for subprocesses sharing one fresh, migrated database (a throw-away
    PostgreSQL database on PostgreSQL runs, a SQLite file otherwise)."""
    with harness.migrated_database_env(tmp_path) as env:
        yield env


def run_django_script(script: str, env: dict[str, str], timeout: float = 60) -> str:
    """Run ``script`` in a fresh Python with Django set up against ``env``; its stdout."""
    prelude = (
        "import os, django\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'orion_project.settings'\n"
        "django.setup()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", prelude + script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout
