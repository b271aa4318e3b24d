"""Task run state history: one state, or a run's states in order."""

from __future__ import annotations

from uuid import UUID

from api import models
from api.crud import states
from api.schemas.states import State


def get_task_run_state(state_id: UUID) -> State:
    """One task run state (with its result data); ``NotFoundError`` if missing."""
    return states.get_state(models.TaskRunState, state_id)


def read_task_run_states(task_run_id: UUID) -> list[State]:
    """Every state of a task run, oldest first."""
    return states.read_run_states(models.TaskRunState, task_run_id=task_run_id)
