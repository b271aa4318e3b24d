"""Work pools, their queues and workers; handing scheduled runs to workers.

Queue priorities inside a pool are always 1..n without gaps, as in the original: a queue
created or updated with a priority is inserted at that position (the queues from there on
move down one), a priority past the end puts it last, and deleting a queue closes the gap.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, IntegerField, Max, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from api.crud import filters
from api.crud.runs import estimated_run_time, estimated_start_time_delta
from api.errors import OrionHTTPError
from api.models import FlowRun, WorkPool, Worker, WorkQueue
from api.schemas import actions
from api.schemas import filters as schema_filters
from api.schemas.core import FlowRun as FlowRunSchema
from api.schemas.responses import WorkerFlowRunResponse

DEFAULT_AGENT_WORK_POOL_NAME = "default-agent-pool"
DEFAULT_AGENT_WORK_POOL_TYPE = "prefect-agent"
DEFAULT_QUEUE_NAME = "default"
DEFAULT_QUEUE_DESCRIPTION = "The work pool's default queue."
# Runs in these states take one of a queue's (or pool's) concurrency slots.
ACTIVE_STATE_TYPES = ("RUNNING", "PENDING")


def work_pool_not_found(name: str) -> OrionHTTPError:
    """The 404 answered for a missing work pool."""
    return OrionHTTPError(404, f'Work pool "{name}" not found.')


def work_queue_not_found(pool_name: str, queue_name: str) -> OrionHTTPError:
    """The 404 answered for a missing queue of a pool."""
    return OrionHTTPError(404, f"Work pool queue '{pool_name}/{queue_name}' not found.")


# --- Pools ---------------------------------------------------------------------------


def create_work_pool(work_pool: actions.WorkPoolCreate) -> WorkPool:
    """Insert a pool with its ``default`` queue; a taken name is a 409."""
    try:
        with transaction.atomic():
            pool = WorkPool.objects.create(**work_pool.model_dump())
    except IntegrityError:
        raise OrionHTTPError(409, "A work pool with this name already exists.") from None
    queue = WorkQueue.objects.create(
        work_pool=pool, name=DEFAULT_QUEUE_NAME, description=DEFAULT_QUEUE_DESCRIPTION, priority=1
    )
    pool.default_queue = queue
    pool.save(update_fields=["default_queue"])
    return pool


def read_work_pool_by_name(name: str) -> Optional[WorkPool]:
    """The pool called ``name``, or ``None``."""
    return WorkPool.objects.filter(name=name).first()


def get_work_pool_or_404(name: str) -> WorkPool:
    """The pool called ``name``, or the API's 404."""
    pool = read_work_pool_by_name(name)
    if pool is None:
        raise work_pool_not_found(name)
    return pool


def read_work_pools(
    work_pool_filter: Optional[schema_filters.WorkPoolFilter], limit: int, offset: int
) -> list[WorkPool]:
    """Pools matching the filter, by name."""
    pools = WorkPool.objects.filter(filters.work_pool_filter_q(work_pool_filter)).order_by("name")
    return list(pools[offset : offset + limit])


def update_work_pool(pool: WorkPool, update: actions.WorkPoolUpdate) -> None:
    """Write the keys the update carries."""
    for key, value in update.model_dump(exclude_unset=True).items():
        setattr(pool, key, value)
    pool.save()


def delete_work_pool(pool: WorkPool) -> None:
    """Delete a pool with its queues and workers."""
    # The pool protects its default queue; release it so the cascade can remove it.
    WorkPool.objects.filter(pk=pool.pk).update(default_queue=None)
    pool.delete()


def get_or_create_default_agent_pool() -> WorkPool:
    """The ``default-agent-pool`` used by the agent-era API, created on first use."""
    pool = read_work_pool_by_name(DEFAULT_AGENT_WORK_POOL_NAME)
    if pool is not None:
        return pool
    try:
        # Its own (sub)transaction: callers may commit the pool even if their work fails.
        with transaction.atomic():
            return create_work_pool(
                actions.WorkPoolCreate(name=DEFAULT_AGENT_WORK_POOL_NAME, type=DEFAULT_AGENT_WORK_POOL_TYPE)
            )
    except OrionHTTPError:
        # Another request created it meanwhile.
        return WorkPool.objects.get(name=DEFAULT_AGENT_WORK_POOL_NAME)


# --- Queues --------------------------------------------------------------------------


def create_work_queue(
    pool: WorkPool, work_queue: actions.WorkQueueCreate, honour_priority: bool = True
) -> WorkQueue:
    """Insert a queue into ``pool``; without a priority (or when told to ignore it) it
    goes last. A taken name is a 409."""
    data = work_queue.model_dump(mode="json")
    requested = data.pop("priority")
    last = WorkQueue.objects.filter(work_pool=pool).aggregate(last=Max("priority"))["last"] or 0
    try:
        with transaction.atomic():
            queue = WorkQueue.objects.create(work_pool=pool, priority=last + 1, **data)
    except IntegrityError:
        raise OrionHTTPError(409, "A work queue with this name already exists.") from None
    if honour_priority and requested is not None:
        set_work_queue_priority(queue, requested)
    return queue


def set_work_queue_priority(queue: WorkQueue, priority: int) -> None:
    """Move ``queue`` to position ``priority`` of its pool (last if the pool is shorter)
    and renumber the pool's queues 1..n."""
    others = list(
        WorkQueue.objects.filter(work_pool_id=queue.work_pool_id).exclude(pk=queue.pk).order_by("priority", "name")
    )
    others.insert(min(priority, len(others) + 1) - 1, queue)
    _renumber(others)


def _renumber(ordered: list[WorkQueue]) -> None:
    """Give ``ordered`` the priorities 1..n, writing only the queues whose number changed."""
    changed = []
    for number, item in enumerate(ordered, start=1):
        if item.priority != number:
            item.priority = number
            changed.append(item)
    if changed:
        now = timezone.now()
        for item in changed:
            item.updated = now
        WorkQueue.objects.bulk_update(changed, ["priority", "updated"])


def read_work_queue(queue_id: UUID) -> Optional[WorkQueue]:
    """The queue with this id, or ``None``."""
    return WorkQueue.objects.filter(pk=queue_id).first()


def read_pool_queue(pool: WorkPool, name: str) -> Optional[WorkQueue]:
    """The queue of ``pool`` called ``name``, or ``None``."""
    return WorkQueue.objects.filter(work_pool=pool, name=name).first()


def get_pool_queue_or_404(pool_name: str, name: str) -> WorkQueue:
    """The queue ``pool_name/name``; a missing pool or queue is the API's 404."""
    queue = WorkQueue.objects.filter(work_pool__name=pool_name, name=name).first()
    if queue is None:
        if not WorkPool.objects.filter(name=pool_name).exists():
            raise work_pool_not_found(pool_name)
        raise work_queue_not_found(pool_name, name)
    return queue


def read_work_queues(
    work_queue_filter: Optional[schema_filters.WorkQueueFilter],
    limit: int,
    offset: int,
    pool: Optional[WorkPool] = None,
) -> list[WorkQueue]:
    """Queues matching the filter: of one pool by priority, or of every pool by name."""
    queues: QuerySet[WorkQueue] = WorkQueue.objects.filter(filters.work_queue_filter_q(work_queue_filter))
    if pool is not None:
        queues = queues.filter(work_pool=pool).order_by("priority")
    else:
        queues = queues.order_by("name")
    return list(queues[offset : offset + limit])


def update_work_queue(queue: WorkQueue, update: actions.WorkQueueUpdate) -> None:
    """Write the keys the update carries; a new priority re-orders the pool's queues."""
    values = update.model_dump(exclude_unset=True)
    if update.filter is not None:
        values["filter"] = update.filter.model_dump(mode="json")
    priority = values.pop("priority", None)
    for key, value in values.items():
        setattr(queue, key, value)
    try:
        with transaction.atomic():
            queue.save()
    except IntegrityError:
        raise OrionHTTPError(409, "A work queue with this name already exists.") from None
    if priority is not None:
        set_work_queue_priority(queue, priority)


def delete_work_queue(queue: WorkQueue) -> None:
    """Delete a queue and renumber the rest of its pool 1..n.

    A pool's default queue cannot go: the database refuses (409).
    """
    pool_id = queue.work_pool_id
    queue.delete()
    _renumber(list(WorkQueue.objects.filter(work_pool_id=pool_id).order_by("priority", "name")))


def mark_queues_polled(pool: WorkPool, queues: list[WorkQueue]) -> None:
    """Record that a worker just polled these queues (every queue of ``pool`` if none)."""
    now = timezone.now()
    polled = WorkQueue.objects.filter(pk__in=[queue.id for queue in queues]) if queues else pool.work_queues.all()
    polled.update(last_polled=now, updated=now)


# --- Workers -------------------------------------------------------------------------


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
    pool: WorkPool, worker_filter: Optional[schema_filters.WorkerFilter], limit: int, offset: int
) -> list[Worker]:
    """Workers of ``pool`` matching the filter, most recent heartbeat first."""
    workers = Worker.objects.filter(filters.worker_filter_q(worker_filter), work_pool=pool)
    return list(workers.order_by("-last_heartbeat_time")[offset : offset + limit])


# --- Scheduled runs for workers ------------------------------------------------------


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
