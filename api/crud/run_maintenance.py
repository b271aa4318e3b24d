"""Runs the maintenance services move on: late, expired-pause, orphaned, crashed and
stuck-cancelling runs; and concurrency slots leaked by runs that stopped running.

Every function here must be called inside ``transaction.atomic()``: it locks the rows it
returns (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two service processes split the work
instead of transitioning a run twice; on SQLite the ``BEGIN IMMEDIATE`` transaction
serialises writers). The filters are re-evaluated under the lock, so a row another
process already moved on is not returned. Pages are keyset-paginated by id.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar
from uuid import UUID

from django.db.models import DateTimeField, Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from api.crud.paging import page
from api.models import ConcurrencyLimit, FlowRun, Log, TaskRun

# States a run can still leave on its own; a cancelled parent must take them down.
UNFINISHED_STATE_TYPES = ("SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLING")

_Row = TypeVar("_Row", FlowRun, TaskRun)


def _locked_page(rows: QuerySet[_Row], limit: int, after_id: UUID | None) -> list[_Row]:
    if after_id is not None:
        rows = rows.filter(id__gt=after_id)
    # ``of=("self",)``: joined tables are only filtered on, and PostgreSQL refuses to lock
    # the nullable side of an outer join.
    return page(rows.order_by("id").select_for_update(skip_locked=True, of=("self",)), limit=limit)


def lock_late_runs(cutoff: dt.datetime, limit: int, after_id: UUID | None = None) -> list[FlowRun]:
    """Runs still named ``Scheduled`` whose start time is at or before ``cutoff``.

    Only the plain ``Scheduled`` name counts: ``Late``, ``AwaitingRetry`` or ``Resuming``
    runs are never re-marked.
    """
    runs = FlowRun.objects.filter(
        state_type="SCHEDULED", state_name="Scheduled", next_scheduled_start_time__lte=cutoff
    )
    return _locked_page(runs, limit, after_id)


def lock_expired_paused_runs(now: dt.datetime, limit: int, after_id: UUID | None = None) -> list[FlowRun]:
    """Paused runs whose current state's ``pause_timeout`` is before ``now``.

    Runs paused without a timeout wait forever and are never returned.
    """
    runs = (
        FlowRun.objects.filter(state_type="PAUSED")
        .annotate(
            pause_timeout=Cast(KeyTextTransform("pause_timeout", "state__state_details"), DateTimeField())
        )
        .filter(pause_timeout__lt=now)
    )
    return _locked_page(runs, limit, after_id)


def lock_unfinished_task_runs_of_cancelled_flow_runs(
    cancelled_since: dt.datetime, limit: int, after_id: UUID | None = None
) -> list[TaskRun]:
    """Unfinished task runs of flow runs cancelled (``end_time``) at or after ``cancelled_since``."""
    task_runs = TaskRun.objects.filter(
        state_type__in=UNFINISHED_STATE_TYPES,
        flow_run__state_type="CANCELLED",
        flow_run__end_time__gte=cancelled_since,
    )
    return _locked_page(task_runs, limit, after_id)


def lock_unfinished_subflow_runs_of_cancelled_parents(
    limit: int, after_id: UUID | None = None
) -> list[FlowRun]:
    """Unfinished sub-flow runs whose parent task run belongs to a cancelled flow run."""
    runs = FlowRun.objects.filter(
        state_type__in=UNFINISHED_STATE_TYPES,
        parent_task_run__isnull=False,
        parent_task_run__flow_run__state_type="CANCELLED",
    )
    return _locked_page(runs, limit, after_id)


def lock_inactive_running_flow_runs(
    cutoff: dt.datetime, limit: int, after_id: UUID | None = None
) -> list[FlowRun]:
    """RUNNING flow runs that showed no sign of life since ``cutoff``.

    Signs of life, all on the server's clock: a state change of the run itself
    (``state_timestamp``) or of any of its task runs, a log line received for it
    (``created``), or a sub-flow run of it that is still unfinished (the parent process
    waits on it; the sub-flow run is judged on its own activity, and once it is crashed
    the parent follows on a later pass). One statement with ``NOT EXISTS`` subqueries,
    served by ``ix_task_run__flow_run_state_ts``, ``ix_log__flow_run_id_created`` and the
    sub-flow run's ``parent_task_run`` index.
    """
    recent_task_change = TaskRun.objects.filter(flow_run_id=OuterRef("pk"), state_timestamp__gte=cutoff)
    recent_log = Log.objects.filter(flow_run_id=OuterRef("pk"), created__gte=cutoff)
    live_subflow = FlowRun.objects.filter(
        parent_task_run__flow_run_id=OuterRef("pk"), state_type__in=UNFINISHED_STATE_TYPES
    )
    runs = FlowRun.objects.filter(state_type="RUNNING", state_timestamp__lt=cutoff).filter(
        ~Exists(recent_task_change), ~Exists(recent_log), ~Exists(live_subflow)
    )
    return _locked_page(runs, limit, after_id)


def running_task_runs_of(flow_run_id: UUID) -> list[TaskRun]:
    """The task runs of this flow run that are RUNNING, locked."""
    task_runs = TaskRun.objects.filter(flow_run_id=flow_run_id, state_type="RUNNING")
    return list(task_runs.order_by("id").select_for_update(of=("self",)))


def lock_stuck_cancelling_flow_runs(
    cutoff: dt.datetime, limit: int, after_id: UUID | None = None
) -> list[FlowRun]:
    """CANCELLING flow runs nobody finished: cancelling since before ``cutoff``, or never
    started at all (no start time and no infrastructure pid: nothing runs that an agent
    would have to stop, so there is nothing to wait for)."""
    never_started = Q(start_time__isnull=True, infrastructure_pid__isnull=True)
    runs = FlowRun.objects.filter(state_type="CANCELLING").filter(Q(state_timestamp__lt=cutoff) | never_started)
    return _locked_page(runs, limit, after_id)


# A task run keeps its slots while in these states (see ReleaseTaskConcurrencySlots).
SLOT_HOLDING_STATE_TYPES = ("RUNNING", "CANCELLING")
TERMINAL_STATE_TYPES = ("COMPLETED", "FAILED", "CANCELLED", "CRASHED")


def release_leaked_concurrency_slots(now: dt.datetime) -> int:
    """Give back every slot held by a task run that no longer runs: one that is gone, no
    longer RUNNING (or CANCELLING), or whose flow run is finished. Returns how many slots
    were released. Call inside ``transaction.atomic()``: the limits are locked first, so a
    task taking a slot right now has committed its state before its slot is judged."""
    limits = list(ConcurrencyLimit.objects.select_for_update().exclude(active_slots=[]).order_by("tag"))
    held = {slot for limit in limits for slot in limit.active_slots or []}
    if not held:
        return 0
    running = {
        str(task_run_id)
        for task_run_id in TaskRun.objects.filter(id__in=list(held), state_type__in=SLOT_HOLDING_STATE_TYPES)
        .exclude(flow_run__state_type__in=TERMINAL_STATE_TYPES)
        .values_list("id", flat=True)
    }
    released = 0
    changed = []
    for limit in limits:
        kept = [slot for slot in limit.active_slots if slot in running]
        if len(kept) != len(limit.active_slots):
            released += len(limit.active_slots) - len(kept)
            limit.active_slots = kept
            limit.updated = now
            changed.append(limit)
    ConcurrencyLimit.objects.bulk_update(changed, ["active_slots", "updated"])
    return released
