"""Task run routes (``/task_runs``); state changes go through ``api.orchestration``."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja.responses import Status
from pydantic import Field

from api import orchestration
from api.crud import history, task_runs
from api.crud.filters import RunFilterSet
from api.dependencies import write_transaction
from api.routers.flow_runs import HistoryRequest, RunFilters, SetStateRequest, run_history
from api.schemas import actions, core
from api.schemas.base import Limit, Offset
from api.schemas.responses import HistoryResponse, OrchestrationResult
from api.schemas.sorting import TaskRunSort
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/task_runs", tags=["Task Runs"])


class TaskRunFilterRequest(RunFilters):
    """Body of ``POST /task_runs/filter``."""

    sort: TaskRunSort = TaskRunSort.ID_DESC
    limit: Limit = Field(default=None, validate_default=True)
    offset: Offset = 0


@router.post("/", status_code=201)
def create_task_run(request: HttpRequest, task_run: actions.TaskRunCreate) -> core.TaskRun:
    """Create a task run in its initial state (Pending unless given), or return the run
    with the same flow run, task key and dynamic key (200)."""
    write_transaction(request)
    row, created = task_runs.create_task_run(task_run)
    return Status(201 if created else 200, task_runs.to_schema(row))


@router.post("/count")
def count_task_runs(request: HttpRequest, body: RunFilters) -> int:
    """How many task runs match the filters."""
    return task_runs.count_task_runs(filters=RunFilterSet.of(body))


@router.post("/history")
def task_run_history(request: HttpRequest, body: HistoryRequest) -> list[HistoryResponse]:
    """Matching task runs per interval and state."""
    return run_history(history.task_run_history, body)


@router.post("/filter")
def read_task_runs(request: HttpRequest, body: TaskRunFilterRequest) -> list[core.TaskRun]:
    """Task runs matching the filters, sorted, one page."""
    rows = task_runs.read_task_runs(filters=RunFilterSet.of(body), sort=body.sort, limit=body.limit, offset=body.offset)
    return task_runs.to_schemas(rows)


@router.patch("/{id}", status_code=204)
def update_task_run(request: HttpRequest, id: UUID, task_run: actions.TaskRunUpdate) -> None:
    """Rename a task run."""
    write_transaction(request)
    task_runs.update_task_run(id, task_run)


@router.get("/{id}")
def read_task_run(request: HttpRequest, id: UUID) -> core.TaskRun:
    """The task run with this id."""
    return task_runs.to_schema(task_runs.get_task_run(id))


@router.delete("/{id}", status_code=204)
def delete_task_run(request: HttpRequest, id: UUID) -> None:
    """Delete a task run with its states."""
    write_transaction(request)
    task_runs.delete_task_run(id)


@router.post("/{id}/set_state", status_code=201)
def set_task_run_state(request: HttpRequest, id: UUID, body: SetStateRequest) -> OrchestrationResult:
    """Propose a new state for the task run; orchestration decides."""
    write_transaction(request)
    result, state_written = orchestration.set_task_run_state(
        id, body.state, force=body.force, api_version=request.api_version
    )
    return Status(201 if state_written else 200, result)
