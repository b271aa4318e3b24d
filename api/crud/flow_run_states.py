"""Flow run state history: one state, or a run's states in order."""

from __future__ import annotations

from uuid import UUID

from api import models
from api.crud import states
from api.schemas.states import State


def get_flow_run_state(state_id: UUID) -> State:
    """One flow run state (with its result data); ``NotFoundError`` if missing."""
    return states.get_state(models.FlowRunState, state_id)


def read_flow_run_states(flow_run_id: UUID) -> list[State]:
    """Every state of a flow run, oldest first."""
    return states.read_run_states(models.FlowRunState, flow_run_id=flow_run_id)
