"""Runs the maintenance services move on: late, expired-pause and orphaned runs.

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

from django.db.models import DateTimeField, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from api.models import FlowRun, TaskRun

# States a run can still leave on its own; a cancelled parent must take them down.
UNFINISHED_STATE_TYPES = ("SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLING")

_Row = TypeVar("_Row", FlowRun, TaskRun)


def _locked_page(rows: QuerySet[_Row], limit: int, after_id: UUID | None) -> list[_Row]:
    if after_id is not None:
        rows = rows.filter(id__gt=after_id)
    # ``of=("self",)``: joined tables are only filtered on, and PostgreSQL refuses to lock
    # the nullable side of an outer join.
    return list(rows.order_by("id").select_for_update(skip_locked=True, of=("self",))[:limit])


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
