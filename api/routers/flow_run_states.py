"""Flow run states (``/flow_run_states``): a run's state history."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest

from api.crud import flow_run_states
from api.schemas.states import State
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/flow_run_states", tags=["Flow Run States"])


@router.get("/{id}")
def read_flow_run_state(request: HttpRequest, id: UUID) -> State:
    """One flow run state."""
    return flow_run_states.get_flow_run_state(id)


@router.get("/")
def read_flow_run_states(request: HttpRequest, flow_run_id: UUID) -> list[State]:
    """The states of one flow run, oldest first."""
    return flow_run_states.read_flow_run_states(flow_run_id)
