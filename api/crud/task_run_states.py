"""Task run state history: read one state, or a run's states in order."""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from api import models
from api.crud.states import state_to_schema
from api.schemas.states import State


def read_task_run_state(state_id: UUID) -> Optional[State]:
    """One task run state (with its result data), or None."""
    row = models.TaskRunState.objects.select_related("result_artifact").filter(id=state_id).first()
    return state_to_schema(row)


def read_task_run_states(task_run_id: UUID) -> list[State]:
    """Every state of a task run, oldest first."""
    rows = (
        models.TaskRunState.objects.select_related("result_artifact")
        .filter(task_run_id=task_run_id)
        .order_by("timestamp")
    )
    return [state_to_schema(row) for row in rows]
