"""The agent-era work-queue API: queues of ``default-agent-pool``, the scheduled runs
handed to agents (``get_runs``) and queue health.

The pool and its ``default`` queue are created on first use, not at start-up.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from api import models
from api.crud import flow_runs as flow_runs_crud
from api.crud import work_pools
from api.crud.filters import tags_q
from api.errors import ObjectNotFoundError
from api.schemas import actions
from api.schemas import filters as schema_filters
from api.schemas.core import WorkQueueHealthPolicy, WorkQueueStatusDetail
from api.schemas.states import StateType
from api.utilities.names import generate_slug

# Runs in these states take one of an agent queue's concurrency slots.
OCCUPYING_STATE_TYPES = (StateType.RUNNING.value, StateType.PENDING.value, StateType.CANCELLING.value)
LEGACY_OCCUPYING_STATE_TYPES = (StateType.RUNNING.value, StateType.PENDING.value)
LATE_STATE_NAME = "Late"


def ensure_default_agent_pool() -> None:
    """Create ``default-agent-pool`` and its ``default`` queue if missing (committed at once
    when called outside a transaction)."""
    work_pools.get_or_create_default_agent_pool()


def create_work_queue(work_queue: actions.WorkQueueCreate) -> models.WorkQueue:
    """A queue of ``default-agent-pool`` (a requested priority is ignored: it goes last)."""
    pool = work_pools.get_or_create_default_agent_pool()
    return work_pools.create_work_queue(pool, work_queue, honour_priority=False)


def read_work_queue_by_name(name: str) -> Optional[models.WorkQueue]:
    """The queue ``name`` of ``default-agent-pool`` (the only pool this API looks in)."""
    return models.WorkQueue.objects.filter(
        work_pool__name=work_pools.DEFAULT_AGENT_WORK_POOL_NAME, name=name
    ).first()


def get_work_queue_or_raise(queue_id: UUID) -> models.WorkQueue:
    """The queue with this id, or ``ObjectNotFoundError`` (the ``exception_message`` 404)."""
    queue = work_pools.read_work_queue(queue_id)
    if queue is None:
        raise ObjectNotFoundError(f"Work queue with id {queue_id} not found.")
    return queue


def get_runs_in_work_queue(
    queue: models.WorkQueue, limit: int, scheduled_before: Optional[dt.datetime] = None
) -> list[models.FlowRun]:
    """Scheduled runs for an agent polling ``queue``, soonest first.

    Runs are matched by queue *name*. A paused queue gives nothing; a concurrency limit
    gives at most its free slots. A queue with a legacy tag ``filter`` selects runs by
    tags and deployment instead.
    """
    if queue.is_paused:
        return []
    if queue.filter is not None:
        return _legacy_runs(queue, limit, scheduled_before)
    take = limit
    if queue.concurrency_limit is not None:
        busy = models.FlowRun.objects.filter(
            work_queue_name=queue.name, state_type__in=OCCUPYING_STATE_TYPES
        ).count()
        take = min(limit, max(0, queue.concurrency_limit - busy))
    if take <= 0:
        return []
    runs = flow_runs_crud.flow_runs_with_state().filter(
        work_queue_name=queue.name, state_type=StateType.SCHEDULED.value
    )
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


def _legacy_runs(
    queue: models.WorkQueue, limit: int, scheduled_before: Optional[dt.datetime]
) -> list[models.FlowRun]:
    criteria = _legacy_filter_q(queue.filter or {})
    take = limit
    if queue.concurrency_limit is not None:
        busy = models.FlowRun.objects.filter(criteria, state_type__in=LEGACY_OCCUPYING_STATE_TYPES).count()
        take = min(limit, max(0, queue.concurrency_limit - busy))
    if take <= 0:
        return []
    runs = flow_runs_crud.flow_runs_with_state().filter(criteria, state_type=StateType.SCHEDULED.value)
    if scheduled_before is not None:
        runs = runs.filter(next_scheduled_start_time__lte=scheduled_before)
    return list(runs.order_by("next_scheduled_start_time", "id")[:take])


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
