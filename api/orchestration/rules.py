"""The building blocks of orchestration: the context of one proposed transition, the
outcomes a rule can decide on, and the two kinds of rule.

* An :class:`OrchestrationRule` is bound to the transition (initial type, proposed type)
  it was created for. It acts only while that transition is still the current one: a
  rule whose outcome changes the transition re-binds itself, and every other rule bound
  to the old transition then skips. A rule that already acted but whose transition a
  later rule changed is *fizzled*: its ``cleanup`` hook runs instead of its
  ``after_transition`` hook, to undo its side effects.
* A :class:`UniversalTransform` is not bound to a transition: its ``before_transition``
  runs whenever a state is still going to be written, its ``after_transition`` always.

Rules never raise to refuse a transition: ``before_transition`` returns an
:class:`Outcome` (reject, abort, wait, rename) or ``None`` to let the proposal through.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, ClassVar, Optional, Union

from django.db import models

from api.schemas.responses import (
    OrchestrationDetails,
    SetStateStatus,
    StateAbortDetails,
    StateAcceptDetails,
    StateRejectDetails,
    StateWaitDetails,
)
from api.schemas.states import State, StateDetails, StateType, default_state_name
from api.utilities.ids import new_id

ALL_STATES: frozenset[Optional[StateType]] = frozenset([*StateType, None])

Transition = tuple[Optional[StateType], Optional[StateType]]


@dataclasses.dataclass(frozen=True)
class Reject:
    """Replace the proposed state with ``state`` (``None``: write nothing, keep the current one)."""

    state: Optional[State]
    reason: str


@dataclasses.dataclass(frozen=True)
class Abort:
    """Refuse the transition: nothing is written."""

    reason: str


@dataclasses.dataclass(frozen=True)
class Wait:
    """Ask the client to propose again after ``seconds``: nothing is written."""

    seconds: int
    reason: str


@dataclasses.dataclass(frozen=True)
class Rename:
    """Keep the proposal but give it another name (the transition stays the same)."""

    name: str


Outcome = Union[Reject, Abort, Wait, Rename]


def new_state(
    state_type: StateType,
    now: dt.datetime,
    *,
    name: Optional[str] = None,
    message: Optional[str] = None,
    data: Any = None,
    state_details: Optional[StateDetails] = None,
) -> State:
    """A fresh state (new id, timestamp ``now``); SCHEDULED states get ``scheduled_time``."""
    details = state_details.model_copy() if state_details is not None else StateDetails()
    if state_type == StateType.SCHEDULED and details.scheduled_time is None:
        details.scheduled_time = now
    return State(
        id=new_id(),
        type=state_type,
        name=name or default_state_name(state_type),
        timestamp=now,
        message=message,
        data=data,
        state_details=details,
    )


def copy_state(state: State, now: dt.datetime, **changes: Any) -> State:
    """A copy of ``state`` with a new id and timestamp (and ``changes``)."""
    fields: dict[str, Any] = {
        "name": state.name,
        "message": state.message,
        "data": state.data,
        "state_details": state.state_details,
    }
    fields.update(changes)
    return new_state(state.type, now, **fields)


def api_version_tuple(api_version: Optional[str]) -> Optional[tuple[int, ...]]:
    """``"0.8.4"`` as ``(0, 8, 4)``; ``None`` (no header) stays ``None``, i.e. the latest."""
    if not api_version:
        return None
    return tuple(int(part) for part in api_version.split("."))


@dataclasses.dataclass
class OrchestrationContext:
    """Everything the rules of one proposed transition read and change.

    ``run`` is the locked run row; rules edit its columns in memory and the entry point
    saves it once at the end. ``flow_run`` is the parent flow run of a task run.
    """

    run: models.Model
    initial_state: Optional[State]
    proposed_state: Optional[State]
    now: dt.datetime
    api_version: Optional[tuple[int, ...]] = None
    flow_run: Optional[models.Model] = None
    status: SetStateStatus = SetStateStatus.ACCEPT
    details: OrchestrationDetails = dataclasses.field(default_factory=StateAcceptDetails)
    validated_state: Optional[State] = None
    validated_row: Optional[models.Model] = None
    run_changed: bool = False

    @property
    def initial_type(self) -> Optional[StateType]:
        """Type of the run's state before this transition."""
        return self.initial_state.type if self.initial_state else None

    @property
    def proposed_type(self) -> Optional[StateType]:
        """Type of the state that would be written now."""
        return self.proposed_state.type if self.proposed_state else None

    @property
    def transition(self) -> Transition:
        """The current (initial type, proposed type) pair."""
        return (self.initial_type, self.proposed_type)

    @property
    def state_written(self) -> bool:
        """Whether validation wrote a new state row for this transition."""
        return self.validated_row is not None

    def is_new_api(self) -> bool:
        """Whether the caller speaks API 0.8.4 or later (no header counts as the latest)."""
        return self.api_version is None or self.api_version >= (0, 8, 4)

    def policy(self) -> dict[str, Any]:
        """A copy of the run's ``empirical_policy`` to edit; store it with :meth:`set_policy`."""
        return dict(self.run.empirical_policy or {})

    def set_policy(self, policy: dict[str, Any]) -> None:
        """Replace the run's ``empirical_policy``."""
        self.run.empirical_policy = policy
        self.run_changed = True

    def apply(self, outcome: Outcome) -> None:
        """Change the proposal and the reported status as ``outcome`` says."""
        if isinstance(outcome, Rename):
            if self.proposed_state is not None:
                self.proposed_state = self.proposed_state.model_copy(update={"name": outcome.name})
            return
        if isinstance(outcome, Reject):
            # A replacement is always a brand-new state, whatever the rule built it from.
            self.proposed_state = copy_state(outcome.state, self.now) if outcome.state else None
            self.status = SetStateStatus.REJECT
            self.details = StateRejectDetails(reason=outcome.reason)
        elif isinstance(outcome, Abort):
            self.proposed_state = None
            self.status = SetStateStatus.ABORT
            self.details = StateAbortDetails(reason=outcome.reason)
        elif isinstance(outcome, Wait):
            self.proposed_state = None
            self.status = SetStateStatus.WAIT
            self.details = StateWaitDetails(delay_seconds=outcome.seconds, reason=outcome.reason)


class OrchestrationRule:
    """A rule of a core policy, bound to the transition it was selected for."""

    FROM_STATES: ClassVar[frozenset[Optional[StateType]]] = ALL_STATES
    TO_STATES: ClassVar[frozenset[Optional[StateType]]] = ALL_STATES

    def __init__(self, context: OrchestrationContext) -> None:
        self.context = context
        self.transition: Transition = context.transition
        self.entered = False

    @classmethod
    def applies_to(cls, transition: Transition) -> bool:
        """Whether the rule takes part in ``transition``."""
        return transition[0] in cls.FROM_STATES and transition[1] in cls.TO_STATES

    def enter(self) -> None:
        """Run the before hook if the transition is still the one the rule is bound to."""
        if self.context.transition != self.transition:
            return
        self.entered = True
        outcome = self.before_transition(self.context)
        if outcome is not None:
            self.context.apply(outcome)
            self.transition = self.context.transition

    def exit(self) -> None:
        """Run the after hook, or the cleanup hook when a later rule changed the transition."""
        if not self.entered:
            return
        if self.context.transition != self.transition:
            self.cleanup(self.context)
        else:
            self.after_transition(self.context)

    def before_transition(self, context: OrchestrationContext) -> Optional[Outcome]:
        """Decide on the proposal; ``None`` lets it through."""
        return None

    def after_transition(self, context: OrchestrationContext) -> None:
        """Side effects once the transition is validated."""

    def cleanup(self, context: OrchestrationContext) -> None:
        """Undo the before hook's side effects after the rule fizzled."""


class UniversalTransform:
    """Bookkeeping that applies to every transition, whatever rules decided."""

    def __init__(self, context: OrchestrationContext) -> None:
        self.context = context

    def enter(self) -> None:
        """Run the before hook if a state is still going to be written."""
        if self.context.proposed_state is not None:
            self.before_transition(self.context)

    def exit(self) -> None:
        """Run the after hook."""
        self.after_transition(self.context)

    def before_transition(self, context: OrchestrationContext) -> None:
        """Edit the run or the proposal before the state is written."""

    def after_transition(self, context: OrchestrationContext) -> None:
        """Side effects after validation (check ``context.state_written``)."""
