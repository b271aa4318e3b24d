"""The core policies: the rules that decide whether a proposed state may be written.

``CORE_FLOW_POLICY`` and ``CORE_TASK_POLICY`` list the rules in priority order (the first
rule that changes the transition decides the outcome). ``force=true`` proposals use the
minimal policies instead: no rules for flow runs, only the slot release for task runs.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from typing import Any, Optional

from django.db.models import Q, Subquery
from django.utils import timezone

from api import models
from api.orchestration.rules import (
    ALL_STATES,
    Abort,
    OrchestrationContext,
    OrchestrationRule,
    Outcome,
    Reject,
    Rename,
    UniversalTransform,
    Wait,
    new_state,
)
from api.schemas.responses import SetStateStatus
from api.schemas.states import TERMINAL_STATES, State, StateDetails, StateType

CONCURRENCY_WAIT_SECONDS = 30

# How far along a run is, for refusing transitions that go backwards or stand still.
_PROGRESS_RANK = {
    None: 0,
    StateType.SCHEDULED: 1,
    StateType.PENDING: 2,
    StateType.RUNNING: 3,
    StateType.CANCELLING: 4,
}


def _enum_repr(state_type: Optional[StateType]) -> str:
    # Reasons quote the type as Python prints the enum member (``StateType.RUNNING``).
    return f"StateType.{state_type.value}" if state_type is not None else "None"


def cannot_transition(proposed: Optional[StateType], initial: Optional[StateType]) -> str:
    """The reason given for a transition that goes nowhere or backwards."""
    return (
        f"This run cannot transition to the {_enum_repr(proposed)} state from the "
        f"{_enum_repr(initial)} state."
    )


def seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    """Whole seconds from ``now`` to ``moment``, a half second or more counting as one."""
    delta = (moment - now).total_seconds()
    whole = int(delta)
    if delta - whole >= 0.5:
        whole += 1
    return whole


def _retries(policy: dict[str, Any]) -> Optional[int]:
    # ``max_retries`` is the deprecated spelling the policy schema still honours.
    retries = policy.get("retries")
    if not retries and policy.get("max_retries"):
        return policy["max_retries"]
    return retries


def _retry_delay(policy: dict[str, Any]) -> Any:
    delay = policy.get("retry_delay")
    if not delay and policy.get("retry_delay_seconds"):
        return policy["retry_delay_seconds"]
    return delay


def awaiting_retry(proposed: State, scheduled_time: dt.datetime, now: dt.datetime) -> State:
    """The AwaitingRetry state that replaces a failure which will be retried."""
    return new_state(
        StateType.SCHEDULED,
        now,
        name="AwaitingRetry",
        message=proposed.message,
        data=proposed.data,
        state_details=StateDetails(scheduled_time=scheduled_time),
    )


class _RetryFailedRuns(OrchestrationRule):
    """A failing run with retries left is rescheduled as AwaitingRetry.

    Flow and task runs differ only in how long the run waits (``retry_delay``) and in what
    must happen once a retry is decided (``before_retry``).
    """

    FROM_STATES = frozenset({StateType.RUNNING})
    TO_STATES = frozenset({StateType.FAILED})

    def before_transition(self, context: OrchestrationContext) -> Optional[Outcome]:
        policy = context.policy()
        retries = _retries(policy)
        if retries is None or context.run.run_count > retries:
            return None
        scheduled_time = context.now + dt.timedelta(seconds=self.retry_delay(context, policy))
        self.before_retry(context, policy, scheduled_time)
        return Reject(awaiting_retry(context.proposed_state, scheduled_time, context.now), "Retrying")

    def retry_delay(self, context: OrchestrationContext, policy: dict[str, Any]) -> float:
        """Seconds the run waits before its next try."""
        raise NotImplementedError

    def before_retry(
        self, context: OrchestrationContext, policy: dict[str, Any], scheduled_time: dt.datetime
    ) -> None:
        """Side effects of deciding to retry (``policy`` is the run's, to edit and store)."""


# ---------------------------------------------------------------------------------------
# Rules shared by flow runs and task runs


class CopyScheduledTime(OrchestrationRule):
    """A run leaving SCHEDULED for PENDING keeps its scheduled time."""

    FROM_STATES = frozenset({StateType.SCHEDULED})
    TO_STATES = frozenset({StateType.PENDING})

    def before_transition(self, context: OrchestrationContext) -> Optional[Outcome]:
        details = context.proposed_state.state_details
        if details.scheduled_time is None:
            details.scheduled_time = context.initial_state.state_details.scheduled_time
        return None


class WaitForScheduledTime(OrchestrationRule):
    """A run may not start before its scheduled time."""

    FROM_STATES = frozenset({StateType.SCHEDULED, StateType.PENDING})
    TO_STATES = frozenset({StateType.RUNNING})

    def before_transition(self, context: OrchestrationContext) -> Optional[Outcome]:
        scheduled_time = context.initial_state.state_details.scheduled_time
        if scheduled_time is None:
            return None
        delay = seconds_until(scheduled_time, context.now)
        if delay > 0:
            return Wait(delay, "Scheduled time is in the future")
        return None


# ---------------------------------------------------------------------------------------
# Flow run rules


class HandleFlowTerminalStateTransitions(OrchestrationRule):
    """A finished flow run stays finished, except for a manual retry of a deployment run."""

    FROM_STATES = TERMINAL_STATES
    TO_STATES = ALL_STATES

    def before_transition(self, context: OrchestrationContext) -> Optional[Outcome]:
        proposed = context.proposed_state
        if proposed.type != StateType.SCHEDULED or proposed.name != "AwaitingRetry":
            return Abort("This run has already terminated.")
        if context.run.deployment_id is None:
            return Abort("Cannot restart a run without an associated deployment.")
        self.original_policy = context.run.empirical_policy
        if context.is_new_api():
            policy = context.policy()
            policy.update(resuming=False, pause_keys=[])
            context.set_policy(policy)
        return None

    def cleanup(self, context: OrchestrationContext) -> None:
        if hasattr(self, "original_policy"):
            context.run.empirical_policy = self.original_policy


class HandleCancellingStateTransitions(OrchestrationRule):
    """A cancelling run can only become Cancelled."""

    FROM_STATES = frozenset({StateType.CANCELLED, StateType.CANCELLING})
    TO_STATES = ALL_STATES - {StateType.CANCELLED}

    def before_transition(self, context: OrchestrationContext) -> Optional[Outcome]:
        return Reject(None, "Cannot transition flows that are cancelling to a state other than Cancelled.")


class PreventRedundantTransitions(OrchestrationRule):
    """Refuse transitions that do not move a run forward (RUNNING to RUNNING, ...)."""

    FROM_STATES = frozenset(_PROGRESS_RANK)
    TO_STATES = frozenset(_PROGRESS_RANK)

    def before_transition(self, context: OrchestrationContext) -> Optional[Outcome]:
        initial, proposed = context.transition
        if _PROGRESS_RANK[proposed] <= _PROGRESS_RANK[initial]:
            return Abort(cannot_transition(proposed, initial))
        return None


class HandlePausingFlows(OrchestrationRule):
    """Only running flows pause, each pause key once; reschedule needs a top-level deployment run."""

    TO_STATES = frozenset({StateType.PAUSED})

    def before_transition(self, context: OrchestrationContext) -> Optional[Outcome]:
        if context.initial_state is None:
            return Abort("Cannot pause flows with no state.")
        if context.initial_type != StateType.RUNNING:
            return Reject(None, "Cannot pause flows that are not currently running.")
        details = context.proposed_state.state_details
        self.key = details.pause_key or str(uuid.uuid4())
        if self.key in (context.run.empirical_policy or {}).get("pause_keys", []):
            return Reject(None, "This pause has already fired.")
        if details.pause_reschedule:
            if context.run.parent_task_run_id is not None:
                return Abort("Cannot pause subflows with the reschedule option.")
            if context.run.deployment_id is None:
                return Abort("Cannot pause flows without a deployment with the reschedule option.")
        return None

    def after_transition(self, context: OrchestrationContext) -> None:
        if context.state_written and context.validated_state.type == StateType.PAUSED:
            policy = context.policy()
            keys = list(policy.get("pause_keys") or [])
            if self.key not in keys:
                keys.append(self.key)
            policy["pause_keys"] = keys
            context.set_policy(policy)


class HandleResumingPausedFlows(OrchestrationRule):
    """A paused flow resumes to RUNNING, SCHEDULED or a final state, unless its pause timed out."""

    FROM_STATES = frozenset({StateType.PAUSED})
    TO_STATES = ALL_STATES

    def before_transition(self, context: OrchestrationContext) -> Optional[Outcome]:
        proposed = context.proposed_type
        if proposed not in TERMINAL_STATES | {StateType.RUNNING, StateType.SCHEDULED}:
            return Reject(None, cannot_transition(proposed, StateType.PAUSED))
        details = context.initial_state.state_details
        if details.pause_reschedule and context.run.deployment_id is None:
            return Reject(None, "Cannot reschedule a paused flow run without a deployment.")
        if details.pause_timeout is not None and details.pause_timeout < context.now:
            return Reject(
                new_state(StateType.FAILED, context.now, message="The flow was paused and never resumed."),
                "The flow run pause has timed out and can no longer resume.",
            )
        return None

    def after_transition(self, context: OrchestrationContext) -> None:
        # Only an accepted resume marks the run, so the next RUNNING is not counted as a new run.
        if context.state_written and context.status == SetStateStatus.ACCEPT:
            policy = context.policy()
            policy["resuming"] = True
            context.set_policy(policy)


class RetryFailedFlows(_RetryFailedRuns):
    """A failing flow run with retries left is rescheduled as AwaitingRetry."""

    def retry_delay(self, context: OrchestrationContext, policy: dict[str, Any]) -> float:
        """The flow's ``retry_delay`` (one value for every try)."""
        return _retry_delay(policy) or 0

    def before_retry(
        self, context: OrchestrationContext, policy: dict[str, Any], scheduled_time: dt.datetime
    ) -> None:
        """Reschedule the failed task runs for old clients; clear the pause bookkeeping."""
        if context.api_version is not None and context.api_version < (0, 8, 3):
            _reset_failed_task_runs(context, scheduled_time)
        if context.is_new_api():
            policy.update(resuming=False, pause_keys=[])
            context.set_policy(policy)


def _reset_failed_task_runs(context: OrchestrationContext, scheduled_time: dt.datetime) -> None:
    """Clients before API 0.8.3 expect the server to reschedule the failed task runs of a
    retried flow run. Only those old clients pay for one orchestration per failed task."""
    from api.orchestration.set_state import set_task_run_state  # set_state imports this module
    from api.schemas.states import StateCreate

    failed = models.TaskRun.objects.filter(flow_run_id=context.run.id, state_type=StateType.FAILED)
    for task_run_id in failed.values_list("id", flat=True):
        models.TaskRun.objects.filter(id=task_run_id).update(run_count=0, updated=timezone.now())
        set_task_run_state(
            task_run_id,
            StateCreate(
                type=StateType.SCHEDULED,
                name="AwaitingRetry",
                state_details=StateDetails(scheduled_time=scheduled_time),
            ),
            force=True,
        )


# ---------------------------------------------------------------------------------------
# Task run rules


class CacheRetrieval(OrchestrationRule):
    """A task proposing RUNNING with a cache key gets the newest valid cached state instead."""

    TO_STATES = frozenset({StateType.RUNNING})

    def before_transition(self, context: OrchestrationContext) -> Optional[Outcome]:
        details = context.proposed_state.state_details
        if not details.cache_key or details.refresh_cache:
            return None
        newest_entry = (
            models.TaskRunStateCache.objects.filter(cache_key=details.cache_key)
            .filter(Q(cache_expiration__isnull=True) | Q(cache_expiration__gt=context.now))
            .order_by("-created")
            .values("task_run_state_id")[:1]
        )
        cached = (
            models.TaskRunState.objects.filter(id=Subquery(newest_entry))
            .select_related("result_artifact")
            .first()
        )
        if cached is None:
            return None
        data = cached.data
        if data is None and cached.result_artifact is not None:
            data = cached.result_artifact.data
        return Reject(
            new_state(
                StateType(cached.type),
                context.now,
                name="Cached",
                message=cached.message,
                data=data,
                state_details=StateDetails.model_validate(cached.state_details or {}),
            ),
            "Retrieved state from cache",
        )


class HandleTaskTerminalStateTransitions(OrchestrationRule):
    """A finished task stays finished, unless it failed and its flow run is being retried."""

    FROM_STATES = TERMINAL_STATES
    TO_STATES = ALL_STATES

    def before_transition(self, context: OrchestrationContext) -> Optional[Outcome]:
        run = context.run
        retryable = {StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}
        if context.proposed_type == StateType.RUNNING and context.initial_type in retryable:
            if run.flow_run_run_count < context.flow_run.run_count:
                self.original_run_count = run.run_count
                run.run_count = 0
                context.run_changed = True
                return Rename("Retrying")
        return Abort("This run has already terminated.")

    def cleanup(self, context: OrchestrationContext) -> None:
        if hasattr(self, "original_run_count"):
            context.run.run_count = self.original_run_count


class PreventRunningTasksFromStoppedFlows(OrchestrationRule):
    """Tasks run only inside a running flow run; a paused flow parks them as NotReady."""

    TO_STATES = frozenset({StateType.RUNNING})

    def before_transition(self, context: OrchestrationContext) -> Optional[Outcome]:
        flow_run = context.flow_run
        if flow_run.state_type == StateType.PAUSED:
            return Reject(
                new_state(StateType.PAUSED, context.now, name="NotReady"),
                f"The flow is paused, new tasks can execute after resuming flow run: {flow_run.id}.",
            )
        if flow_run.state_type != StateType.RUNNING:
            return Abort("The enclosing flow must be running to begin task execution.")
        return None


class SecureTaskConcurrencySlots(OrchestrationRule):
    """A task with limited tags takes one slot per tag before it runs, or waits."""

    TO_STATES = frozenset({StateType.RUNNING})

    def before_transition(self, context: OrchestrationContext) -> Optional[Outcome]:
        self.taken: list[models.ConcurrencyLimit] = []
        tags = context.run.tags or []
        if not tags:
            return None
        run_id = str(context.run.id)
        # Locked in tag order, so two tasks sharing tags cannot deadlock each other.
        limits = models.ConcurrencyLimit.objects.select_for_update().filter(tag__in=tags).order_by("tag")
        outcome: Optional[Outcome] = None
        for limit in limits:
            slots = list(limit.active_slots or [])
            if run_id in slots:
                continue
            if limit.concurrency_limit == 0:
                outcome = Abort(
                    f'The concurrency limit on tag "{limit.tag}" is 0 and will deadlock if the task '
                    "tries to run again."
                )
                break
            if len(slots) >= limit.concurrency_limit:
                outcome = Wait(
                    CONCURRENCY_WAIT_SECONDS, f"Concurrency limit for the {limit.tag} tag has been reached"
                )
                break
            limit.active_slots = [*slots, run_id]
            self.taken.append(limit)
        if outcome is not None:
            # Give back what this proposal took before the limit that refused it.
            self.taken = []
            return outcome
        _save_slots(self.taken, context.now)
        return None

    def cleanup(self, context: OrchestrationContext) -> None:
        run_id = str(context.run.id)
        for limit in self.taken:
            limit.active_slots = [slot for slot in limit.active_slots if slot != run_id]
        _save_slots(self.taken, context.now)


def _save_slots(limits: list[models.ConcurrencyLimit], now: dt.datetime) -> None:
    if not limits:
        return
    for limit in limits:
        limit.updated = now
    models.ConcurrencyLimit.objects.bulk_update(limits, ["active_slots", "updated"])


def retry_delay_seconds(policy: dict[str, Any], run_count: int) -> float:
    """The delay before the next try of a task: from ``retry_delay`` (one value or one per
    try), spread by ``retry_jitter_factor`` around that mean when set."""
    delay = _retry_delay(policy)
    if isinstance(delay, list):
        base = float(delay[min(max(run_count - 1, 0), len(delay) - 1)]) if delay else 0.0
    else:
        base = float(delay or 0)
    jitter = policy.get("retry_jitter_factor")
    if not jitter or jitter <= 0 or base <= 0:
        return base
    spread = 1 + jitter
    lower = base * math.log2(2**spread / (2**spread - 1))
    upper = base * spread
    return min(max(random.expovariate(1 / base), lower), upper)


class RetryFailedTasks(_RetryFailedRuns):
    """A failing task with retries left is rescheduled as AwaitingRetry."""

    def retry_delay(self, context: OrchestrationContext, policy: dict[str, Any]) -> float:
        """The delay before this try (see ``retry_delay_seconds``)."""
        return retry_delay_seconds(policy, context.run.run_count)


class RenameReruns(OrchestrationRule):
    """A task that has run before is renamed Retrying (after AwaitingRetry) or Rerunning."""

    TO_STATES = frozenset({StateType.RUNNING})

    def before_transition(self, context: OrchestrationContext) -> Optional[Outcome]:
        if context.run.run_count > 0:
            initial_name = context.initial_state.name if context.initial_state else None
            return Rename("Retrying" if initial_name == "AwaitingRetry" else "Rerunning")
        return None


class UpdateFlowRunTrackerOnTasks(OrchestrationRule):
    """A starting task remembers which run of its flow run it belongs to."""

    TO_STATES = frozenset({StateType.RUNNING})

    def after_transition(self, context: OrchestrationContext) -> None:
        if context.state_written:
            context.run.flow_run_run_count = context.flow_run.run_count


class CacheInsertion(OrchestrationRule):
    """A completed state with a cache key becomes reachable through the cache."""

    TO_STATES = frozenset({StateType.COMPLETED})

    def after_transition(self, context: OrchestrationContext) -> None:
        if not context.state_written:
            return
        details = context.validated_state.state_details
        if details.cache_key:
            models.TaskRunStateCache.objects.create(
                cache_key=details.cache_key,
                cache_expiration=details.cache_expiration,
                task_run_state_id=context.validated_row.id,
            )


class ReleaseTaskConcurrencySlots(UniversalTransform):
    """A task leaving RUNNING gives its concurrency slots back (runs even when forced)."""

    def after_transition(self, context: OrchestrationContext) -> None:
        if not context.state_written or not context.run.tags:
            return
        if context.validated_state.type in (StateType.RUNNING, StateType.CANCELLING):
            return
        run_id = str(context.run.id)
        released = []
        limits = models.ConcurrencyLimit.objects.select_for_update().filter(tag__in=context.run.tags)
        for limit in limits.order_by("tag"):
            if run_id in (limit.active_slots or []):
                limit.active_slots = [slot for slot in limit.active_slots if slot != run_id]
                released.append(limit)
        _save_slots(released, context.now)


CORE_FLOW_POLICY = (
    HandleFlowTerminalStateTransitions,
    HandleCancellingStateTransitions,
    PreventRedundantTransitions,
    HandlePausingFlows,
    HandleResumingPausedFlows,
    CopyScheduledTime,
    WaitForScheduledTime,
    RetryFailedFlows,
)

CORE_TASK_POLICY = (
    CacheRetrieval,
    HandleTaskTerminalStateTransitions,
    PreventRunningTasksFromStoppedFlows,
    SecureTaskConcurrencySlots,
    CopyScheduledTime,
    WaitForScheduledTime,
    RetryFailedTasks,
    RenameReruns,
    UpdateFlowRunTrackerOnTasks,
    CacheInsertion,
    ReleaseTaskConcurrencySlots,
)

MINIMAL_FLOW_POLICY: tuple[type, ...] = ()

MINIMAL_TASK_POLICY = (ReleaseTaskConcurrencySlots,)
