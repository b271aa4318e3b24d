"""Flow run routes (``/flow_runs``); state changes go through ``api.orchestration``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Optional
from uuid import UUID

from django.http import HttpRequest
from ninja.responses import Status
from pydantic import Field

from api import orchestration
from api.crud import flow_runs, history
from api.crud.filters import RunFilterSet
from api.dependencies import write_transaction
from api.schemas import actions, filters
from api.schemas.base import DateTime, Limit, Offset, RequestBody
from api.schemas.responses import DependencyResult, FlowRunResponse, HistoryResponse, OrchestrationResult
from api.schemas.sorting import FlowRunSort
from api.schemas.states import StateCreate
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/flow_runs", tags=["Flow Runs"])


class RunFilters(RequestBody):
    """The flow, run, task run and deployment filters of a request body."""

    flows: Optional[filters.FlowFilter] = None
    flow_runs: Optional[filters.FlowRunFilter] = None
    task_runs: Optional[filters.TaskRunFilter] = None
    deployments: Optional[filters.DeploymentFilter] = None


class FlowRunCountRequest(RunFilters):
    """Body of ``POST /flow_runs/count``."""

    work_pools: Optional[filters.WorkPoolFilter] = None
    work_pool_queues: Optional[filters.WorkQueueFilter] = None


class FlowRunFilterRequest(FlowRunCountRequest):
    """Body of ``POST /flow_runs/filter``."""

    sort: FlowRunSort = FlowRunSort.ID_DESC
    limit: Limit = Field(default=None, validate_default=True)
    offset: Offset = 0


class HistoryRequest(RunFilters):
    """Body of the ``/history`` routes: the time span, the interval and the filters."""

    history_start: DateTime
    history_end: DateTime
    history_interval_seconds: dt.timedelta


def run_history(read_history: Callable[..., list[HistoryResponse]], body: HistoryRequest) -> list[HistoryResponse]:
    """What ``read_history`` (a ``crud.history`` reader) gives for the body's span, interval and filters."""
    return read_history(
        body.history_start, body.history_end, body.history_interval_seconds, filters=RunFilterSet.of(body)
    )


class FlowRunHistoryRequest(HistoryRequest):
    """Body of ``POST /flow_runs/history`` (queues are ``work_queues`` here)."""

    work_pools: Optional[filters.WorkPoolFilter] = None
    work_queues: Optional[filters.WorkQueueFilter] = None


class SetStateRequest(RequestBody):
    """Body of the ``set_state`` routes."""

    state: StateCreate
    force: bool = False


@router.post("/", status_code=201)
def create_flow_run(request: HttpRequest, flow_run: actions.FlowRunCreate) -> FlowRunResponse:
    """Create a flow run in its initial state (Pending unless given), or return the run
    of this flow with the same idempotency key (200)."""
    write_transaction(request)
    row, created = flow_runs.create_flow_run(flow_run, api_version=request.api_version)
    return Status(201 if created else 200, flow_runs.to_schema(row))


@router.post("/count")
def count_flow_runs(request: HttpRequest, body: FlowRunCountRequest) -> int:
    """How many flow runs match the filters."""
    return flow_runs.count_flow_runs(filters=RunFilterSet.of(body))


@router.post("/history")
def flow_run_history(request: HttpRequest, body: FlowRunHistoryRequest) -> list[HistoryResponse]:
    """Matching flow runs per interval and state."""
    return run_history(history.flow_run_history, body)


@router.post("/filter")
def read_flow_runs(request: HttpRequest, body: FlowRunFilterRequest) -> list[FlowRunResponse]:
    """Flow runs matching the filters, sorted, one page."""
    rows = flow_runs.read_flow_runs(filters=RunFilterSet.of(body), sort=body.sort, limit=body.limit, offset=body.offset)
    return flow_runs.to_schemas(rows)


@router.patch("/{id}", status_code=204)
def update_flow_run(request: HttpRequest, id: UUID, flow_run: actions.FlowRunUpdate) -> None:
    """Write the fields sent."""
    write_transaction(request)
    flow_runs.update_flow_run(id, flow_run)


@router.get("/{id}")
def read_flow_run(request: HttpRequest, id: UUID) -> FlowRunResponse:
    """The flow run with this id."""
    return flow_runs.to_schema(flow_runs.get_flow_run(id))


@router.get("/{id}/graph")
def read_flow_run_graph(request: HttpRequest, id: UUID) -> list[DependencyResult]:
    """The run's task runs with their upstream task runs."""
    return flow_runs.read_flow_run_graph(id)


@router.post("/{id}/resume", status_code=201)
def resume_flow_run(request: HttpRequest, id: UUID) -> OrchestrationResult:
    """Resume a paused flow run."""
    write_transaction(request)
    result, state_written = orchestration.resume_flow_run(id, api_version=request.api_version)
    return Status(201 if state_written else 200, result)


@router.delete("/{id}", status_code=204)
def delete_flow_run(request: HttpRequest, id: UUID) -> None:
    """Delete a flow run with its task runs, states and logs."""
    write_transaction(request)
    flow_runs.delete_flow_run(id)


@router.post("/{id}/set_state", status_code=201)
def set_flow_run_state(request: HttpRequest, id: UUID, body: SetStateRequest) -> OrchestrationResult:
    """Propose a new state for the run; orchestration decides."""
    write_transaction(request)
    result, state_written = orchestration.set_flow_run_state(
        id, body.state, force=body.force, api_version=request.api_version
    )
    return Status(201 if state_written else 200, result)
