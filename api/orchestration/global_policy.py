"""The global policies: run bookkeeping applied to every written state, forced or not.

The transforms edit the run row in memory (state pointers, start/end times, run counts,
expected start times) and the proposed state's details just before the state is
written. ``queue_notifications`` runs after each flow-run orchestration.
"""

from __future__ import annotations

from django.db.models import Model

from api import models
from api.orchestration.rules import OrchestrationContext, UniversalTransform, copy_state
from api.schemas.responses import SetStateStatus
from api.schemas.states import TERMINAL_STATES, StateType


class SetRunStateType(UniversalTransform):
    """The run's denormalised ``state_type`` follows its state."""

    def before_transition(self, context: OrchestrationContext) -> None:
        context.run.state_type = context.proposed_state.type.value


class SetRunStateName(UniversalTransform):
    """The run's denormalised ``state_name`` follows its state."""

    def before_transition(self, context: OrchestrationContext) -> None:
        context.run.state_name = context.proposed_state.name


class SetRunStateTimestamp(UniversalTransform):
    """The run's denormalised ``state_timestamp`` follows its state."""

    def before_transition(self, context: OrchestrationContext) -> None:
        context.run.state_timestamp = context.proposed_state.timestamp


class SetStartTime(UniversalTransform):
    """The first RUNNING state sets the start time."""

    def before_transition(self, context: OrchestrationContext) -> None:
        if context.proposed_type == StateType.RUNNING and context.run.start_time is None:
            context.run.start_time = context.proposed_state.timestamp


class SetEndTime(UniversalTransform):
    """A final state of a started run sets the end time; leaving a final state clears it."""

    def before_transition(self, context: OrchestrationContext) -> None:
        run = context.run
        proposed_final = context.proposed_type in TERMINAL_STATES
        if context.initial_type in TERMINAL_STATES and not proposed_final:
            run.end_time = None
        if proposed_final and run.start_time is not None and run.end_time is None:
            run.end_time = context.proposed_state.timestamp


class IncrementRunTime(UniversalTransform):
    """Time spent RUNNING adds up in ``total_run_time``."""

    def before_transition(self, context: OrchestrationContext) -> None:
        if context.initial_type == StateType.RUNNING:
            elapsed = context.proposed_state.timestamp - context.initial_state.timestamp
            context.run.total_run_time += elapsed


class SetExpectedStartTime(UniversalTransform):
    """The first state fixes when the run was expected to start."""

    def before_transition(self, context: OrchestrationContext) -> None:
        run = context.run
        if run.expected_start_time is None:
            proposed = context.proposed_state
            if proposed.type == StateType.SCHEDULED:
                run.expected_start_time = proposed.state_details.scheduled_time
            else:
                run.expected_start_time = proposed.timestamp


class SetNextScheduledStartTime(UniversalTransform):
    """``next_scheduled_start_time`` is the scheduled time while the run is SCHEDULED."""

    def before_transition(self, context: OrchestrationContext) -> None:
        run = context.run
        if context.initial_type == StateType.SCHEDULED:
            run.next_scheduled_start_time = None
        if context.proposed_type == StateType.SCHEDULED:
            run.next_scheduled_start_time = context.proposed_state.state_details.scheduled_time


class UpdateFlowRunStateDetails(UniversalTransform):
    """A flow run state names its run."""

    def before_transition(self, context: OrchestrationContext) -> None:
        context.proposed_state.state_details.flow_run_id = context.run.id


class UpdateTaskRunStateDetails(UniversalTransform):
    """A task run state names its run and the run's flow run."""

    def before_transition(self, context: OrchestrationContext) -> None:
        details = context.proposed_state.state_details
        details.flow_run_id = context.run.flow_run_id
        details.task_run_id = context.run.id


class UpdateSubflowParentTask(UniversalTransform):
    """A subflow's parent task run mirrors each state of the subflow (forced)."""

    def after_transition(self, context: OrchestrationContext) -> None:
        parent_id = context.run.parent_task_run_id
        if parent_id is None or not context.state_written:
            return
        from api.orchestration.set_state import set_task_run_state  # set_state imports this module
        from api.schemas.states import StateCreate

        mirrored = copy_state(context.validated_state, context.now)
        mirrored.state_details.child_flow_run_id = context.run.id
        set_task_run_state(
            parent_id,
            StateCreate(
                type=mirrored.type,
                name=mirrored.name,
                message=mirrored.message,
                data=mirrored.data,
                state_details=mirrored.state_details,
            ),
            force=True,
        )


class UpdateSubflowStateDetails(UniversalTransform):
    """A subflow's states point at the parent task run."""

    def before_transition(self, context: OrchestrationContext) -> None:
        if context.run.parent_task_run_id is not None:
            context.proposed_state.state_details.task_run_id = context.run.parent_task_run_id


class IncrementFlowRunCount(UniversalTransform):
    """Each RUNNING state counts a run of the flow, except the resumption of a paused one."""

    def before_transition(self, context: OrchestrationContext) -> None:
        if context.proposed_type != StateType.RUNNING:
            return
        if context.is_new_api() and (context.run.empirical_policy or {}).get("resuming"):
            return
        context.run.run_count += 1


class RemoveResumingIndicator(UniversalTransform):
    """Running again (or finishing) ends a resumption."""

    def before_transition(self, context: OrchestrationContext) -> None:
        if not context.is_new_api():
            return
        if context.proposed_type != StateType.RUNNING and context.proposed_type not in TERMINAL_STATES:
            return
        policy = context.policy()
        if policy.get("resuming"):
            policy["resuming"] = False
            context.set_policy(policy)


class IncrementTaskRunCount(UniversalTransform):
    """Each RUNNING state counts a try of the task."""

    def before_transition(self, context: OrchestrationContext) -> None:
        if context.proposed_type == StateType.RUNNING:
            context.run.run_count += 1


_COMMON = (
    SetRunStateType,
    SetRunStateName,
    SetRunStateTimestamp,
    SetStartTime,
    SetEndTime,
    IncrementRunTime,
    SetExpectedStartTime,
    SetNextScheduledStartTime,
)

GLOBAL_FLOW_POLICY = (
    *_COMMON,
    UpdateFlowRunStateDetails,
    UpdateSubflowParentTask,
    UpdateSubflowStateDetails,
    IncrementFlowRunCount,
    RemoveResumingIndicator,
)

GLOBAL_TASK_POLICY = (
    *_COMMON,
    UpdateTaskRunStateDetails,
    IncrementTaskRunCount,
)


def queue_notifications(flow_run: Model, status: SetStateStatus) -> None:
    """Queue a notification of the flow run's current state for every active policy that
    matches its state name and tags (after ACCEPT or REJECT only)."""
    if status not in (SetStateStatus.ACCEPT, SetStateStatus.REJECT) or flow_run.state_id is None:
        return
    run_tags = set(flow_run.tags or [])
    # Policies are configuration (a handful of rows), so matching them here is cheap.
    rows = [
        models.FlowRunNotificationQueue(
            flow_run_notification_policy_id=policy.id, flow_run_state_id=flow_run.state_id
        )
        for policy in models.FlowRunNotificationPolicy.objects.filter(is_active=True).only(
            "id", "state_names", "tags"
        )
        if (not policy.state_names or flow_run.state_name in policy.state_names)
        and (not policy.tags or run_tags.intersection(policy.tags))
    ]
    if rows:
        models.FlowRunNotificationQueue.objects.bulk_create(rows)
