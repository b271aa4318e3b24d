"""The orchestration entry points: propose a state for a run, and have it judged and written.

All run inside the caller's transaction and lock the run row first, so proposals for one
run are serialised:

* ``set_flow_run_state()`` / ``set_task_run_state()`` — a proposed state, judged by the
  core policy (or only bookkeeping when ``force``), answered with an
  ``OrchestrationResult`` and whether a state row was written.
* ``resume_flow_run()`` — resume a paused flow run.
* ``set_initial_flow_run_state()`` / ``set_initial_task_run_state()`` — the first state
  of a newly inserted run (forced; Pending when none is given).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Optional, Union
from uuid import UUID

from django.db import connection
from django.utils import timezone

from api import events, models
from api.crud.prepared import PreparedInsert, PreparedQuery, PreparedUpdate
from api.errors import ObjectNotFoundError
from api.orchestration.global_policy import queue_notifications
from api.orchestration.policies import flow_policies, orchestrate, task_policies
from api.orchestration.rules import OrchestrationContext, api_version_tuple, new_state
from api.schemas.responses import OrchestrationResult, SetStateStatus, StateAbortDetails
from api.schemas.states import State, StateCreate, StateDetails, StateType

StateRow = Union[models.FlowRunState, models.TaskRunState]

# Keys of a result ``data`` dict that describe the result artifact instead of the result.
_ARTIFACT_KEYS = {"artifact_key": "key", "artifact_type": "type", "artifact_description": "description"}


def _current_state(row: Optional[StateRow]) -> Optional[State]:
    """The run's current state as rules see it (and as refusals return it: without data)."""
    if row is None:
        return None
    return State(
        id=row.id,
        type=StateType(row.type),
        name=row.name,
        timestamp=row.timestamp,
        message=row.message,
        state_details=StateDetails.model_validate(row.state_details or {}),
    )


def _proposal(state: StateCreate, now: dt.datetime) -> State:
    """A brand-new state from a proposal: new id, server timestamp (``id``/``timestamp`` ignored)."""
    data = dict(state.data) if isinstance(state.data, dict) else state.data
    return new_state(
        state.type,
        now,
        name=state.name,
        message=state.message,
        data=data,
        state_details=state.state_details,
    )


def _locked_read(model: type[models.Model], *related: str, deferred: Sequence[str] = ()) -> tuple[PreparedQuery, PreparedQuery]:
    """The two prepared statements of ``_lock`` for ``model``, the joined rows without ``deferred``."""
    return (
        PreparedQuery(lambda run_id: model.objects.select_for_update().filter(id=run_id).values_list("id"), UUID),
        PreparedQuery(lambda run_id: model.objects.select_related(*related).defer(*deferred).filter(id=run_id)[:1], UUID),
    )


# What the task rules read of the parent flow run (its state and run count, to hold a task
# while the flow is not running): its other columns would only be converted and dropped.
_PARENT_FLOW_RUN_READ = ("id", "state_type", "run_count")
_PARENT_FLOW_RUN_UNREAD = tuple(
    f"flow_run__{field.name}" for field in models.FlowRun._meta.concrete_fields if field.name not in _PARENT_FLOW_RUN_READ
)


# Every state change writes these rows: their inserts are prepared too.
_INSERT_ARTIFACT = PreparedInsert(models.Artifact)
_INSERT_STATE = {model: PreparedInsert(model) for model in (models.FlowRunState, models.TaskRunState)}
# ... and so is the run's own UPDATE of the columns a change touched.
_UPDATE_FLOW_RUN = PreparedUpdate(models.FlowRun)
_UPDATE_TASK_RUN = PreparedUpdate(models.TaskRun)

_FLOW_RUN_LOCK = _locked_read(models.FlowRun, "state")
_TASK_RUN_LOCK = _locked_read(models.TaskRun, "state", "flow_run", deferred=_PARENT_FLOW_RUN_UNREAD)


def _lock(statements: tuple[PreparedQuery, PreparedQuery], run_id: UUID, label: str) -> models.Model:
    """Lock the run row, then read it with its joined rows.

    Two statements on purpose: when a locking read that joins other tables waits for a
    lock, PostgreSQL re-checks only the locked row and can hand back the joined rows (the
    run's current state) as they were before the other writer committed. SQLite has no
    row locks (the write transaction already holds the database's), so there it is one.
    """
    lock, read = statements
    if connection.features.has_select_for_update and not lock.all(run_id):
        raise ObjectNotFoundError(f"{label} with id {run_id} not found")
    run = read.first(run_id)
    if run is None:
        raise ObjectNotFoundError(f"{label} with id {run_id} not found")
    return run


def _write_state(context: OrchestrationContext, state_model: type[StateRow], run_field: str) -> None:
    """Validate the final proposal: store its result artifact and state row and point the
    run at it. Nothing is written when a rule dropped the proposal."""
    state = context.proposed_state
    if state is None:
        context.validated_state = context.initial_state
        return
    run = context.run
    artifact = None
    if state.data is not None:
        info = {}
        if isinstance(state.data, dict):
            for data_key, column in _ARTIFACT_KEYS.items():
                value = state.data.pop(data_key, None)
                if value:
                    info[column] = value
        is_task = run_field == "task_run"
        artifact = _INSERT_ARTIFACT.insert(
            models.Artifact(
                data=state.data,
                flow_run_id=run.flow_run_id if is_task else run.id,
                task_run_id=run.id if is_task else None,
                **info,
            )
        )
    row = state_model(
        id=state.id,
        type=state.type.value,
        timestamp=state.timestamp,
        name=state.name,
        message=state.message,
        state_details=state.state_details.model_dump(mode="json"),
        result_artifact=artifact,
        **{run_field: run},
    )
    _INSERT_STATE[state_model].insert(row)
    run.state = row
    context.validated_state = state
    context.validated_row = row


def _result(context: OrchestrationContext) -> tuple[OrchestrationResult, bool]:
    result = OrchestrationResult(
        state=context.validated_state, status=context.status, details=context.details
    )
    return result, context.state_written


def _run_flow_orchestration(
    run: models.FlowRun, proposal: State, force: bool, api_version: Optional[str]
) -> OrchestrationContext:
    context = OrchestrationContext(
        run=run,
        initial_state=_current_state(run.state),
        proposed_state=proposal,
        now=proposal.timestamp,
        api_version=api_version_tuple(api_version),
    )
    core, global_ = flow_policies(force)
    orchestrate(context, core, global_, lambda ctx: _write_state(ctx, models.FlowRunState, "flow_run"))
    if context.state_written or context.run_changed:
        run.save_changed(_UPDATE_FLOW_RUN.update)
    queue_notifications(run, context.status)
    if context.state_written:
        events.flow_run_state_changed(run.id, run.state_type, run.state_name)
    return context


def _run_task_orchestration(run: models.TaskRun, proposal: State, force: bool) -> OrchestrationContext:
    context = OrchestrationContext(
        run=run,
        initial_state=_current_state(run.state),
        proposed_state=proposal,
        now=proposal.timestamp,
        # Forced proposals run no rule that looks at the flow run: don't load it.
        flow_run=None if force else run.flow_run,
    )
    core, global_ = task_policies(force)
    orchestrate(context, core, global_, lambda ctx: _write_state(ctx, models.TaskRunState, "task_run"))
    if context.state_written or context.run_changed:
        run.save_changed(_UPDATE_TASK_RUN.update)
    if context.state_written:
        events.task_run_state_changed(run.flow_run_id, run.id, run.state_type, run.state_name)
    return context


def set_flow_run_state(
    flow_run_id: UUID, state: StateCreate, force: bool = False, api_version: Optional[str] = None
) -> tuple[OrchestrationResult, bool]:
    """Propose ``state`` for a flow run; the result, and whether a state row was written."""
    run = _lock(_FLOW_RUN_LOCK, flow_run_id, "Flow run")
    proposal = _proposal(state, timezone.now())
    return _result(_run_flow_orchestration(run, proposal, force, api_version))


def set_task_run_state(
    task_run_id: UUID, state: StateCreate, force: bool = False, api_version: Optional[str] = None
) -> tuple[OrchestrationResult, bool]:
    """Propose ``state`` for a task run; the result, and whether a state row was written.

    ``api_version`` is accepted for symmetry: no task rule depends on it.
    """
    run = _lock(_TASK_RUN_LOCK, task_run_id, "Task run")
    proposal = _proposal(state, timezone.now())
    return _result(_run_task_orchestration(run, proposal, force))


def resume_flow_run(flow_run_id: UUID, api_version: Optional[str] = None) -> tuple[OrchestrationResult, bool]:
    """Resume a paused flow run: RUNNING again, or Scheduled "Resuming" for a pause that
    asked to be rescheduled; the result, and whether a state row was written. A run that
    is not paused gets ABORT with no state (nothing written)."""
    run = _lock(_FLOW_RUN_LOCK, flow_run_id, "Flow run")
    if run.state is None or run.state.type != StateType.PAUSED.value:
        return (
            OrchestrationResult(
                state=None,
                status=SetStateStatus.ABORT,
                details=StateAbortDetails(reason="Cannot resume a flow run that is not paused."),
            ),
            False,
        )
    now = timezone.now()
    if (run.state.state_details or {}).get("pause_reschedule"):
        proposal = new_state(StateType.SCHEDULED, now, name="Resuming")
    else:
        proposal = new_state(StateType.RUNNING, now)
    return _result(_run_flow_orchestration(run, proposal, False, api_version))


def set_initial_flow_run_state(
    flow_run: models.FlowRun, state: Optional[StateCreate], api_version: Optional[str] = None
) -> None:
    """Give a newly inserted flow run its first state (forced; Pending when ``state`` is None)."""
    proposal = _proposal(state or StateCreate(type=StateType.PENDING), timezone.now())
    _run_flow_orchestration(flow_run, proposal, True, api_version)


def set_initial_task_run_state(task_run: models.TaskRun, state: Optional[StateCreate]) -> None:
    """Give a newly inserted task run its first state (forced; Pending when ``state`` is None)."""
    proposal = _proposal(state or StateCreate(type=StateType.PENDING), timezone.now())
    _run_task_orchestration(task_run, proposal, True)
