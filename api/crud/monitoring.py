"""Data access for readiness and metrics: a database probe, service heartbeats and the
grouped counts behind the Prometheus gauges.

Every count is one grouped query whose cost does not depend on how often it is asked;
callers cache the results (``api.metrics``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from api import models
from api.schemas.states import StateType

LATE_STATE_NAME = "Late"


def ping_database() -> None:
    """Run a trivial query; raises ``django.db.DatabaseError`` when the database is unusable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def record_heartbeat(name: str, loop_seconds: float, duration_seconds: float, process: str) -> None:
    """Record that service ``name`` finished a loop now (one upsert)."""
    row = models.ServiceHeartbeat(
        name=name,
        last_success=timezone.now(),
        loop_seconds=loop_seconds,
        last_duration_seconds=duration_seconds,
        process=process,
    )
    with transaction.atomic():
        models.ServiceHeartbeat.objects.bulk_create(
            [row],
            update_conflicts=True,
            unique_fields=["name"],
            update_fields=["last_success", "loop_seconds", "last_duration_seconds", "process"],
        )


def read_heartbeats() -> dict[str, models.ServiceHeartbeat]:
    """Every service's heartbeat row, by service name."""
    return {row.name: row for row in models.ServiceHeartbeat.objects.all()}


def count_flow_runs_by_state() -> tuple[dict[str, int], int]:
    """Flow runs per state type, and how many of them are late (one grouped query)."""
    by_type: Counter[str] = Counter()
    late = 0
    rows = models.FlowRun.objects.order_by().values_list("state_type", "state_name").annotate(n=Count("id"))
    for state_type, state_name, n in rows:
        if state_type is None:
            continue
        by_type[state_type] += n
        if state_type == StateType.SCHEDULED.value and state_name == LATE_STATE_NAME:
            late += n
    return dict(by_type), late


def count_task_runs_by_state() -> dict[str, int]:
    """Task runs per state type (one grouped query)."""
    rows = models.TaskRun.objects.order_by().values_list("state_type").annotate(n=Count("id"))
    return {state_type: n for state_type, n in rows if state_type is not None}


def work_queue_backlogs(now: dt.datetime | None = None) -> list[tuple[str, str, int]]:
    """``(work pool, work queue, backlog)`` for every queue: its scheduled flow runs that are
    due (late ones included), counted by one grouped query on the scheduled-runs index."""
    now = now or timezone.now()
    due = (
        models.FlowRun.objects.order_by()
        .filter(
            state_type=StateType.SCHEDULED.value,
            next_scheduled_start_time__lte=now,
            work_queue_id__isnull=False,
        )
        .values_list("work_queue_id")
        .annotate(n=Count("id"))
    )
    backlog = dict(due)
    queues = models.WorkQueue.objects.order_by("work_pool__name", "name").values_list(
        "id", "work_pool__name", "name"
    )
    return [(pool, name, backlog.get(queue_id, 0)) for queue_id, pool, name in queues]
