"""Fixtures of the orchestration tests: runs put in a given state through the public
orchestration entry points (initial states are forced, as run creation does)."""

from __future__ import annotations

import uuid
from typing import Any, Callable, Optional

import pytest

from api import models
from api.orchestration import set_initial_flow_run_state, set_initial_task_run_state
from api.schemas.states import StateCreate


def state(state_type: str, **fields: Any) -> StateCreate:
    """A proposed state; ``state_details`` given as a dict."""
    return StateCreate.model_validate({"type": state_type, **fields})


@pytest.fixture
def flow(db: None) -> models.Flow:
    """A flow to hang runs on."""
    return models.Flow.objects.create(name=f"flow-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def make_flow_run(flow: models.Flow) -> Callable[..., models.FlowRun]:
    """Insert a flow run and give it ``initial`` (a StateCreate, Pending when None)."""

    def make(initial: Optional[StateCreate] = None, **fields: Any) -> models.FlowRun:
        run = models.FlowRun.objects.create(flow=flow, name=f"run-{uuid.uuid4().hex[:8]}", **fields)
        set_initial_flow_run_state(run, initial)
        return run

    return make


@pytest.fixture
def make_task_run() -> Callable[..., models.TaskRun]:
    """Insert a task run of ``flow_run`` and give it ``initial`` (Pending when None)."""

    def make(flow_run: models.FlowRun, initial: Optional[StateCreate] = None, **fields: Any) -> models.TaskRun:
        run = models.TaskRun.objects.create(
            flow_run=flow_run,
            name=f"task-{uuid.uuid4().hex[:8]}",
            task_key=uuid.uuid4().hex,
            dynamic_key="0",
            **fields,
        )
        set_initial_task_run_state(run, initial)
        return run

    return make


@pytest.fixture
def propose(client: Any) -> Callable[..., tuple[int, dict[str, Any]]]:
    """POST a proposed state to ``/api/<kind>_runs/<id>/set_state`` (kind: flow or task);
    returns (HTTP status, body)."""

    def post(
        kind: str, run_id: Any, state_type: str, force: bool = False, api_version: Optional[str] = None, **fields: Any
    ) -> tuple[int, dict[str, Any]]:
        headers = {"X-PREFECT-API-VERSION": api_version} if api_version else {}
        response = client.post(
            f"/api/{kind}_runs/{run_id}/set_state",
            {"state": {"type": state_type, **fields}, "force": force},
            content_type="application/json",
            headers=headers,
        )
        return response.status_code, response.json()

    return post


@pytest.fixture
def resume(client: Any) -> Callable[[Any], tuple[int, dict[str, Any]]]:
    """POST ``/api/flow_runs/<id>/resume``; returns (HTTP status, body)."""

    def post(run_id: Any) -> tuple[int, dict[str, Any]]:
        response = client.post(f"/api/flow_runs/{run_id}/resume")
        return response.status_code, response.json()

    return post
