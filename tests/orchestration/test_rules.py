"""The rule machinery: selection by transition, nesting order, outcomes as data,
fizzling (cleanup instead of after hook) and universal transforms."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import pytest

from api.orchestration import rules
from api.orchestration.core_policy import cannot_transition, seconds_until
from api.orchestration.policies import orchestrate
from api.orchestration.rules import OrchestrationContext, OrchestrationRule, Outcome, UniversalTransform, new_state
from api.schemas.responses import SetStateStatus
from api.schemas.states import StateType

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


class FakeRun:
    """Stands in for a run row: rules only touch attributes."""

    empirical_policy: dict = {}


def context(initial: Optional[StateType], proposed: StateType) -> OrchestrationContext:
    return OrchestrationContext(
        run=FakeRun(),
        initial_state=new_state(initial, NOW) if initial else None,
        proposed_state=new_state(proposed, NOW),
        now=NOW,
    )


def recording_rule(log: list[str], name: str, outcome: Optional[Outcome] = None, **sets) -> type:
    """A rule that logs its hooks (and returns ``outcome`` from its before hook)."""

    class Recorder(OrchestrationRule):
        FROM_STATES = sets.get("from_states", OrchestrationRule.FROM_STATES)
        TO_STATES = sets.get("to_states", OrchestrationRule.TO_STATES)

        def before_transition(self, ctx: OrchestrationContext) -> Optional[Outcome]:
            log.append(f"{name}.before")
            return outcome

        def after_transition(self, ctx: OrchestrationContext) -> None:
            log.append(f"{name}.after")

        def cleanup(self, ctx: OrchestrationContext) -> None:
            log.append(f"{name}.cleanup")

    return Recorder


def recording_transform(log: list[str], name: str) -> type:
    class Recorder(UniversalTransform):
        def before_transition(self, ctx: OrchestrationContext) -> None:
            log.append(f"{name}.before")

        def after_transition(self, ctx: OrchestrationContext) -> None:
            log.append(f"{name}.after")

    return Recorder


def validate_into(log: list[str]):
    def validate(ctx: OrchestrationContext) -> None:
        log.append(f"validate {ctx.proposed_type.value if ctx.proposed_type else None}")
        ctx.validated_state = ctx.proposed_state or ctx.initial_state

    return validate


def test_rules_nest_around_validation() -> None:
    log: list[str] = []
    ctx = context(StateType.PENDING, StateType.RUNNING)
    orchestrate(
        ctx,
        [recording_rule(log, "a"), recording_rule(log, "b")],
        [recording_transform(log, "g")],
        validate_into(log),
    )
    assert log == ["a.before", "b.before", "g.before", "validate RUNNING", "g.after", "b.after", "a.after"]
    assert ctx.status == SetStateStatus.ACCEPT


def test_only_rules_for_the_intended_transition_take_part() -> None:
    log: list[str] = []
    orchestrate(
        context(StateType.PENDING, StateType.RUNNING),
        [
            recording_rule(log, "to-running", to_states=frozenset({StateType.RUNNING})),
            recording_rule(log, "to-failed", to_states=frozenset({StateType.FAILED})),
            recording_rule(log, "from-running", from_states=frozenset({StateType.RUNNING})),
        ],
        [],
        validate_into(log),
    )
    assert log == ["to-running.before", "validate RUNNING", "to-running.after"]


def test_first_rule_changing_the_transition_decides_and_earlier_rules_fizzle() -> None:
    log: list[str] = []
    ctx = context(StateType.RUNNING, StateType.FAILED)
    retry = new_state(StateType.SCHEDULED, NOW, name="AwaitingRetry")
    orchestrate(
        ctx,
        [
            recording_rule(log, "first"),
            recording_rule(log, "rejecter", rules.Reject(retry, "Retrying")),
            recording_rule(log, "later", rules.Abort("never")),
        ],
        [recording_transform(log, "g")],
        validate_into(log),
    )
    # "later" is bound to RUNNING -> FAILED, which no longer holds: it never runs.
    assert log == [
        "first.before",
        "rejecter.before",
        "g.before",
        "validate SCHEDULED",
        "g.after",
        "rejecter.after",
        "first.cleanup",
    ]
    assert ctx.status == SetStateStatus.REJECT
    assert ctx.details.reason == "Retrying"
    assert ctx.proposed_state.name == "AwaitingRetry"
    assert ctx.proposed_state.id != retry.id  # a replacement is always a new state


@pytest.mark.parametrize(
    "outcome, status, details",
    [
        (rules.Abort("no"), SetStateStatus.ABORT, {"type": "abort_details", "reason": "no"}),
        (rules.Wait(30, "later"), SetStateStatus.WAIT, {"type": "wait_details", "delay_seconds": 30, "reason": "later"}),
        (rules.Reject(None, "keep"), SetStateStatus.REJECT, {"type": "reject_details", "reason": "keep"}),
    ],
)
def test_refusals_write_nothing_and_skip_global_before_hooks(outcome, status, details) -> None:
    log: list[str] = []
    ctx = context(StateType.PENDING, StateType.RUNNING)
    orchestrate(ctx, [recording_rule(log, "r", outcome)], [recording_transform(log, "g")], validate_into(log))
    assert log == ["r.before", "validate None", "g.after", "r.after"]
    assert ctx.status == status
    assert ctx.details.model_dump() == details
    assert ctx.validated_state is ctx.initial_state


def test_rename_keeps_the_transition_valid_for_later_rules() -> None:
    log: list[str] = []
    ctx = context(StateType.PENDING, StateType.RUNNING)
    orchestrate(
        ctx,
        [recording_rule(log, "renamer", rules.Rename("Retrying")), recording_rule(log, "next")],
        [],
        validate_into(log),
    )
    assert log == ["renamer.before", "next.before", "validate RUNNING", "next.after", "renamer.after"]
    assert ctx.proposed_state.name == "Retrying"
    assert ctx.status == SetStateStatus.ACCEPT


def test_same_type_rejection_leaves_later_rules_active() -> None:
    log: list[str] = []
    ctx = context(StateType.PAUSED, StateType.FAILED)
    orchestrate(
        ctx,
        [
            recording_rule(log, "a", rules.Reject(new_state(StateType.FAILED, NOW, message="timeout"), "first")),
            recording_rule(log, "b", rules.Reject(new_state(StateType.FAILED, NOW, message="other"), "second")),
        ],
        [],
        validate_into(log),
    )
    assert log == ["a.before", "b.before", "validate FAILED", "b.after", "a.after"]
    assert ctx.details.reason == "second"
    assert ctx.proposed_state.message == "other"


def test_errors_in_a_rule_propagate() -> None:
    class Broken(OrchestrationRule):
        def before_transition(self, ctx: OrchestrationContext) -> Optional[Outcome]:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        orchestrate(context(StateType.PENDING, StateType.RUNNING), [Broken], [], validate_into([]))


def test_seconds_until_rounds_half_seconds_up() -> None:
    assert seconds_until(NOW + dt.timedelta(seconds=9.99), NOW) == 10
    assert seconds_until(NOW + dt.timedelta(seconds=9.4), NOW) == 9
    assert seconds_until(NOW - dt.timedelta(seconds=5), NOW) == -5


def test_transition_reason_names_enum_members() -> None:
    assert cannot_transition(StateType.PENDING, None) == (
        "This run cannot transition to the StateType.PENDING state from the None state."
    )
