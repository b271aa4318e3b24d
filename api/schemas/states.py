"""States: types, details, the state objects the API returns and the ones it accepts."""

from __future__ import annotations

import enum
from typing import Any, Optional
from uuid import UUID

from pydantic import Field, model_validator

from api.schemas.base import ActionBaseModel, DateTime, IndexedText, PrefectBaseModel


class StateType(str, enum.Enum):
    """The kinds of state a run can be in."""

    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    CRASHED = "CRASHED"
    PAUSED = "PAUSED"
    CANCELLING = "CANCELLING"


TERMINAL_STATES = frozenset({StateType.COMPLETED, StateType.FAILED, StateType.CANCELLED, StateType.CRASHED})


def default_state_name(state_type: StateType | str) -> str:
    """The name a state gets when none is given: its type, capitalised word by word."""
    value = state_type.value if isinstance(state_type, StateType) else str(state_type)
    return "".join(word.capitalize() for word in value.split("_"))


class StateDetails(PrefectBaseModel):
    """Details a state carries; every key is always written and returned."""

    flow_run_id: Optional[UUID] = None
    task_run_id: Optional[UUID] = None
    child_flow_run_id: Optional[UUID] = None
    scheduled_time: Optional[DateTime] = None
    cache_key: Optional[str] = None
    cache_expiration: Optional[DateTime] = None
    untrackable_result: bool = False
    pause_timeout: Optional[DateTime] = None
    pause_reschedule: bool = False
    pause_key: Optional[str] = None
    refresh_cache: Optional[bool] = None


class State(PrefectBaseModel):
    """A state as returned by the API."""

    id: Optional[UUID] = None
    type: StateType
    name: Optional[str] = None
    timestamp: DateTime
    message: Optional[str] = None
    data: Optional[Any] = None
    state_details: StateDetails = Field(default_factory=StateDetails)

    def is_final(self) -> bool:
        """Whether the state is terminal (COMPLETED, FAILED, CANCELLED, CRASHED)."""
        return self.type in TERMINAL_STATES


class StateCreate(ActionBaseModel):
    """A proposed state. ``id`` and ``timestamp`` are accepted and ignored."""

    type: StateType
    name: Optional[IndexedText] = None
    message: Optional[str] = None
    data: Optional[Any] = None
    state_details: StateDetails = Field(default_factory=StateDetails)
    id: Optional[Any] = Field(default=None, exclude=True)
    timestamp: Optional[Any] = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _default_name(self) -> "StateCreate":
        if not self.name:
            self.name = default_state_name(self.type)
        return self
