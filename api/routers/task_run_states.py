"""Task run states (``/task_run_states``): a run's state history."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest

from api.crud import task_run_states
from api.schemas.states import State
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/task_run_states", tags=["Task Run States"])


@router.get("/{id}")
def read_task_run_state(request: HttpRequest, id: UUID) -> State:
    """One task run state."""
    return task_run_states.get_task_run_state(id)


@router.get("/")
def read_task_run_states(request: HttpRequest, task_run_id: UUID) -> list[State]:
    """The states of one task run, oldest first."""
    return task_run_states.read_task_run_states(task_run_id)
