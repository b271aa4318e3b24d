"""Work queues: a pool's queues and the agent-era queues of ``default-agent-pool``, the
scheduled runs handed to agents (``get_runs``) and queue health.

Queue priorities inside a pool are always 1..n without gaps, as in the original: a queue
created or updated with a priority is inserted at that position (the queues from there on
move down one), a priority past the end puts it last, and deleting a queue closes the gap.

The agent-era pool and its ``default`` queue are created on first use, not at start-up.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from api import models
from api.crud import flow_runs as flow_runs_crud
from api.crud import work_pools
from api.crud.filters import tags_q, work_queue_filter_q
from api.crud.lookups import first_or_not_found
from api.crud.paging import page
from api.errors import ConflictError, NotFoundError, ObjectNotFoundError
from api.schemas import actions
from api.schemas import filters as schema_filters
from api.schemas.core import WorkQueueHealthPolicy, WorkQueueStatusDetail
from api.schemas.states import StateType
from api.utilities.names import generate_slug

# Runs in these states take one of an agent queue's concurrency slots.
OCCUPYING_STATE_TYPES = (StateType.RUNNING.value, StateType.PENDING.value, StateType.CANCELLING.value)
LEGACY_OCCUPYING_STATE_TYPES = (StateType.RUNNING.value, StateType.PENDING.value)
LATE_STATE_NAME = "Late"

WORK_QUEUE_EXISTS = "A work queue with this name already exists."
# The original's agent-era routes word a missing queue three ways; each is kept.
WORK_QUEUE_NOT_FOUND = "work queue not found"
WORK_QUEUE_ID_NOT_FOUND = "Work Queue {id} not found"
WORK_QUEUE_OBJECT_NOT_FOUND = "Work queue with id {id} not found."
POOL_QUEUE_NOT_FOUND = "Work pool queue '{pool_name}/{name}' not found."


# --- Creating and ordering -------------------------------------------------------------


def ensure_default_agent_pool() -> None:
    """Create ``default-agent-pool`` and its ``default`` queue if missing (committed at once
    when called outside a transaction)."""
    work_pools.get_or_create_default_agent_pool()


def create_work_queue(
    work_queue: actions.WorkQueueCreate, pool: Optional[models.WorkPool] = None
) -> models.WorkQueue:
    """Insert a queue into ``pool`` at the priority asked for (last without one); with no
    pool, into ``default-agent-pool`` and always last, as the agent-era API ignores
    priorities. A taken name is a ``ConflictError``."""
    honour_priority = pool is not None
    if pool is None:
        pool = work_pools.get_or_create_default_agent_pool()
    data = work_queue.model_dump(mode="json")
    requested = data.pop("priority")
    last = models.WorkQueue.objects.filter(work_pool=pool).aggregate(last=Max("priority"))["last"] or 0
    try:
        with transaction.atomic():
            queue = models.WorkQueue.objects.create(work_pool=pool, priority=last + 1, **data)
    except IntegrityError:
        raise ConflictError(WORK_QUEUE_EXISTS) from None
    if honour_priority and requested is not None:
        set_work_queue_priority(queue, requested)
    return queue


def set_work_queue_priority(queue: models.WorkQueue, priority: int) -> None:
    """Move ``queue`` to position ``priority`` of its pool (last if the pool is shorter)
    and renumber the pool's queues 1..n."""
    others = list(
        models.WorkQueue.objects.filter(work_pool_id=queue.work_pool_id)
        .exclude(pk=queue.pk)
        .order_by("priority", "name")
    )
    others.insert(min(priority, len(others) + 1) - 1, queue)
    _renumber(others)


def _renumber(ordered: list[models.WorkQueue]) -> None:
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
        models.WorkQueue.objects.bulk_update(changed, ["priority", "updated"])


# --- Reading ---------------------------------------------------------------------------


def read_work_queue(queue_id: UUID) -> Optional[models.WorkQueue]:
    """The queue with this id, or ``None``."""
    return models.WorkQueue.objects.filter(pk=queue_id).first()


def get_work_queue(queue_id: UUID) -> models.WorkQueue:
    """The queue with this id; ``NotFoundError`` if there is none."""
    return first_or_not_found(models.WorkQueue.objects.filter(pk=queue_id), WORK_QUEUE_NOT_FOUND)


def load_work_queue(queue_id: UUID) -> models.WorkQueue:
    """The queue with this id; ``ObjectNotFoundError`` (the original's models-layer error,
    which ``get_runs`` and ``status`` answer with) if there is none."""
    queue = read_work_queue(queue_id)
    if queue is None:
        raise ObjectNotFoundError(WORK_QUEUE_OBJECT_NOT_FOUND.format(id=queue_id))
    return queue


def get_work_queue_by_name(name: str) -> models.WorkQueue:
    """The queue ``name`` of ``default-agent-pool`` (the only pool the agent-era API looks
    in); ``NotFoundError`` if there is none."""
    queues = models.WorkQueue.objects.filter(work_pool__name=work_pools.DEFAULT_AGENT_WORK_POOL_NAME, name=name)
    return first_or_not_found(queues, WORK_QUEUE_NOT_FOUND)


def read_pool_queue(pool: models.WorkPool, name: str) -> Optional[models.WorkQueue]:
    """The queue of ``pool`` called ``name``, or ``None``."""
    return models.WorkQueue.objects.filter(work_pool=pool, name=name).first()


def get_pool_queue(pool_name: str, name: str) -> models.WorkQueue:
    """The queue ``pool_name/name``; ``NotFoundError`` naming the pool or the queue,
    whichever is missing."""
    queue = models.WorkQueue.objects.filter(work_pool__name=pool_name, name=name).first()
    if queue is None:
        work_pools.get_work_pool(pool_name)  # a missing pool is named first
        raise NotFoundError(POOL_QUEUE_NOT_FOUND.format(pool_name=pool_name, name=name))
    return queue


def read_work_queues(
    work_queue_filter: Optional[schema_filters.WorkQueueFilter] = None,
    limit: Optional[int] = None,
    offset: int = 0,
    pool: Optional[models.WorkPool] = None,
) -> list[models.WorkQueue]:
    """Queues matching the filter: of one pool by priority, or of every pool by name."""
    queues: QuerySet[models.WorkQueue] = models.WorkQueue.objects.filter(work_queue_filter_q(work_queue_filter))
    if pool is not None:
        queues = queues.filter(work_pool=pool).order_by("priority")
    else:
        queues = queues.order_by("name")
    return page(queues, offset, limit)


# --- Changing --------------------------------------------------------------------------


def update_work_queue(queue: models.WorkQueue, update: actions.WorkQueueUpdate) -> None:
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
        raise ConflictError(WORK_QUEUE_EXISTS) from None
    if priority is not None:
        set_work_queue_priority(queue, priority)


def update_work_queue_by_id(queue_id: UUID, update: actions.WorkQueueUpdate) -> None:
    """Update the queue with this id; ``NotFoundError`` if there is none."""
    queue = read_work_queue(queue_id)
    if queue is None:
        raise NotFoundError(WORK_QUEUE_ID_NOT_FOUND.format(id=queue_id))
    update_work_queue(queue, update)


def delete_work_queue(queue: models.WorkQueue) -> None:
    """Delete a queue and renumber the rest of its pool 1..n.

    A pool's default queue cannot go: the database refuses (an ``IntegrityError``).
    """
    pool_id = queue.work_pool_id
    queue.delete()
    _renumber(list(models.WorkQueue.objects.filter(work_pool_id=pool_id).order_by("priority", "name")))


def mark_queues_polled(pool: models.WorkPool, queues: list[models.WorkQueue]) -> None:
    """Record that a worker just polled these queues (every queue of ``pool`` if none)."""
    now = timezone.now()
    polled = (
        models.WorkQueue.objects.filter(pk__in=[queue.id for queue in queues]) if queues else pool.work_queues.all()
    )
    polled.update(last_polled=now, updated=now)


# --- Agents ----------------------------------------------------------------------------


def get_runs_in_work_queue(
    queue: models.WorkQueue, limit: int, scheduled_before: Optional[dt.datetime] = None
) -> list[models.FlowRun]:
    """Scheduled runs for an agent polling ``queue``, soonest first.

    Runs are matched by queue *name*. A paused queue gives nothing; a concurrency limit
    gives at most its free slots. A queue with a legacy tag ``filter`` selects runs by
    tags and deployment instead (and only running and pending runs take its slots).
    """
    if queue.is_paused:
        return []
    if queue.filter is not None:
        criteria, occupying = _legacy_filter_q(queue.filter), LEGACY_OCCUPYING_STATE_TYPES
    else:
        criteria, occupying = Q(work_queue_name=queue.name), OCCUPYING_STATE_TYPES
    take = limit
    if queue.concurrency_limit is not None:
        busy = models.FlowRun.objects.filter(criteria, state_type__in=occupying).count()
        take = min(limit, max(0, queue.concurrency_limit - busy))
    if take <= 0:
        return []
    runs = flow_runs_crud.flow_runs_with_state().filter(criteria, state_type=StateType.SCHEDULED.value)
    if scheduled_before is not None:
        runs = runs.filter(next_scheduled_start_time__lte=scheduled_before)
    return list(runs.order_by("next_scheduled_start_time", "id")[:take])


def _legacy_filter_q(queue_filter: dict) -> Q:
    tags = queue_filter.get("tags")
    deployment_ids = queue_filter.get("deployment_ids")
    criteria = Q()
    if tags:
        criteria &= tags_q(schema_filters.Tags(all_=tags))
    if deployment_ids:
        criteria &= Q(deployment_id__isnull=False, deployment_id__in=deployment_ids)
    return criteria


def record_poll(queue: models.WorkQueue, agent_id: Optional[UUID]) -> None:
    """Mark the queue as polled now and, given an agent id, record the agent's activity."""
    now = timezone.now()
    models.WorkQueue.objects.filter(pk=queue.pk).update(last_polled=now, updated=now)
    if agent_id is None:
        return
    updated = models.Agent.objects.filter(pk=agent_id).update(
        work_queue=queue, last_activity_time=now, updated=now
    )
    if not updated:
        try:
            with transaction.atomic():
                models.Agent.objects.create(
                    id=agent_id, name=generate_slug(), work_queue=queue, last_activity_time=now
                )
        except IntegrityError:
            # The same agent's concurrent poll inserted it first.
            models.Agent.objects.filter(pk=agent_id).update(
                work_queue=queue, last_activity_time=now, updated=now
            )


def read_work_queue_status(queue: models.WorkQueue) -> WorkQueueStatusDetail:
    """Health of a queue: no late runs and polled within the last minute."""
    late = models.FlowRun.objects.filter(work_queue_name=queue.name, state_name=LATE_STATE_NAME).count()
    policy = WorkQueueHealthPolicy()
    return WorkQueueStatusDetail(
        healthy=policy.evaluate_health_status(late_runs_count=late, last_polled=queue.last_polled),
        late_runs_count=late,
        last_polled=queue.last_polled,
        health_check_policy=policy,
    )
