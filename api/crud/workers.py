"""Workers of a work pool: heartbeats, listing, and the scheduled runs handed to them."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, IntegerField, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from api.crud import filters
from api.crud.paging import page
from api.crud.runs import estimated_run_time, estimated_start_time_delta
from api.models import FlowRun, WorkPool, Worker, WorkQueue
from api.schemas import filters as schema_filters
from api.schemas.core import FlowRun as FlowRunSchema
from api.schemas.responses import WorkerFlowRunResponse

# Runs in these states take one of a queue's (or pool's) concurrency slots.
ACTIVE_STATE_TYPES = ("RUNNING", "PENDING")


def worker_heartbeat(pool: WorkPool, name: str) -> None:
    """Create the worker ``name`` of ``pool`` or refresh its heartbeat."""
    now = timezone.now()
    updated = Worker.objects.filter(work_pool=pool, name=name).update(last_heartbeat_time=now, updated=now)
    if not updated:
        try:
            with transaction.atomic():
                Worker.objects.create(work_pool=pool, name=name, last_heartbeat_time=now)
        except IntegrityError:
            # A concurrent first heartbeat of the same worker won the insert.
            Worker.objects.filter(work_pool=pool, name=name).update(last_heartbeat_time=now, updated=now)


def read_workers(
    pool: WorkPool,
    worker_filter: Optional[schema_filters.WorkerFilter] = None,
    limit: Optional[int] = None,
    offset: int = 0,
) -> list[Worker]:
    """Workers of ``pool`` matching the filter, most recent heartbeat first."""
    workers = Worker.objects.filter(filters.worker_filter_q(worker_filter), work_pool=pool)
    return page(workers.order_by("-last_heartbeat_time"), offset, limit)


def _free_slots(limit: Optional[int], active: int) -> Optional[int]:
    return None if limit is None else max(0, limit - active)


def get_scheduled_flow_runs(
    pool: WorkPool,
    queues: list[WorkQueue],
    scheduled_before: Optional[dt.datetime],
    scheduled_after: Optional[dt.datetime],
    limit: int,
) -> list[WorkerFlowRunResponse]:
    """Scheduled runs of ``queues`` (every queue of ``pool`` when empty) for a worker.

    Paused pools and queues give nothing. Each queue gives at most its free concurrency
    slots and the pool at most its own; queues of better (lower) priority go first, and
    the runs handed out are ordered by scheduled start time (``state`` left out).
    """
    if pool.is_paused:
        return []
    if not queues:
        queues = list(WorkQueue.objects.filter(work_pool=pool))
    queues = [queue for queue in queues if not queue.is_paused]
    if not queues:
        return []
    active_by_queue = dict(
        FlowRun.objects.filter(work_queue__work_pool=pool, state_type__in=ACTIVE_STATE_TYPES)
        .values_list("work_queue_id")
        .annotate(n=Count("id"))
        .values_list("work_queue_id", "n")
    )
    pool_slots = _free_slots(pool.concurrency_limit, sum(active_by_queue.values()))
    take = limit if pool_slots is None else min(limit, pool_slots)
    if take <= 0:
        return []

    # Each queue may give at most its free slots (all of ``take`` when unlimited).
    caps = {}
    for queue in queues:
        slots = _free_slots(queue.concurrency_limit, active_by_queue.get(queue.id, 0))
        if slots is None or slots > 0:
            caps[queue.id] = take if slots is None else slots
    if not caps:
        return []

    candidates = FlowRun.objects.filter(work_queue_id__in=list(caps), state_type="SCHEDULED")
    if scheduled_before is not None:
        candidates = candidates.filter(next_scheduled_start_time__lte=scheduled_before)
    if scheduled_after is not None:
        candidates = candidates.filter(next_scheduled_start_time__gte=scheduled_after)
    candidates = candidates.annotate(
        queue_rank=Window(
            RowNumber(), partition_by=[F("work_queue_id")], order_by=[F("next_scheduled_start_time").asc(), "id"]
        ),
        queue_cap=Case(
            *(When(work_queue_id=queue_id, then=Value(cap)) for queue_id, cap in caps.items()),
            output_field=IntegerField(),
        ),
        queue_priority=F("work_queue__priority"),
    )
    runs = list(
        candidates.filter(queue_rank__lte=F("queue_cap")).order_by(
            "queue_priority", "next_scheduled_start_time", "id"
        )[:take]
    )
    runs.sort(key=lambda run: (run.next_scheduled_start_time, str(run.id)))
    now = timezone.now()
    return [
        WorkerFlowRunResponse(work_pool_id=pool.id, work_queue_id=run.work_queue_id, flow_run=_core_flow_run(run, now))
        for run in runs
    ]


_COMPUTED = {"state", "estimated_run_time", "estimated_start_time_delta"}
_FLOW_RUN_COLUMNS = tuple(name for name in FlowRunSchema.model_fields if name not in _COMPUTED)


def _core_flow_run(run: FlowRun, now: dt.datetime) -> FlowRunSchema:
    """The stored shape of a run, as workers get it: no state object."""
    values = {name: getattr(run, name) for name in _FLOW_RUN_COLUMNS}
    values["estimated_run_time"] = estimated_run_time(run, now)
    values["estimated_start_time_delta"] = estimated_start_time_delta(run, now)
    return FlowRunSchema.model_validate(values)
