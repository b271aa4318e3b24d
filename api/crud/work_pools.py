"""Work pools: create (with their ``default`` queue), read, filter, update, delete, and
the ``default-agent-pool`` the agent-era API uses.

A pool's queues live in ``api.crud.work_queues`` and its workers in ``api.crud.workers``.
"""

from __future__ import annotations

from typing import Optional

from django.db import IntegrityError, transaction

from api.crud import filters
from api.crud.lookups import first_or_not_found
from api.crud.paging import page
from api.errors import ConflictError, ForbiddenError
from api.models import WorkPool, WorkQueue
from api.schemas import actions
from api.schemas import filters as schema_filters

DEFAULT_AGENT_WORK_POOL_NAME = "default-agent-pool"
DEFAULT_AGENT_WORK_POOL_TYPE = "prefect-agent"
DEFAULT_QUEUE_NAME = "default"
DEFAULT_QUEUE_DESCRIPTION = "The work pool's default queue."

WORK_POOL_NOT_FOUND = 'Work pool "{name}" not found.'
WORK_POOL_EXISTS = "A work pool with this name already exists."
RESERVED_PREFIX = "prefect"
RESERVED_CREATE = "Work pools starting with 'Prefect' are reserved for internal use."
RESERVED_UPDATE = (
    "Work pools starting with 'Prefect' are reserved for internal use and can only be "
    "updated to set concurrency limits or pause."
)
RESERVED_DELETE = "Work pools starting with 'Prefect' are reserved for internal use and can not be deleted."
# The only fields a reserved pool may change.
RESERVED_UPDATABLE = {"is_paused", "concurrency_limit"}


def _reserved(name: str) -> bool:
    return name.lower().startswith(RESERVED_PREFIX)


def check_pool_creatable(name: str) -> None:
    """Refuse a new pool whose name is reserved (``ForbiddenError``)."""
    if _reserved(name):
        raise ForbiddenError(RESERVED_CREATE)


def check_pool_deletable(name: str) -> None:
    """Refuse to delete a pool whose name is reserved (``ForbiddenError``)."""
    if _reserved(name):
        raise ForbiddenError(RESERVED_DELETE)


def create_work_pool(work_pool: actions.WorkPoolCreate) -> WorkPool:
    """Insert a pool with its ``default`` queue; a taken name is a ``ConflictError``."""
    try:
        with transaction.atomic():
            pool = WorkPool.objects.create(**work_pool.model_dump())
    except IntegrityError:
        raise ConflictError(WORK_POOL_EXISTS) from None
    queue = WorkQueue.objects.create(
        work_pool=pool, name=DEFAULT_QUEUE_NAME, description=DEFAULT_QUEUE_DESCRIPTION, priority=1
    )
    pool.default_queue = queue
    pool.save(update_fields=["default_queue"])
    return pool


def read_work_pool_by_name(name: str) -> Optional[WorkPool]:
    """The pool called ``name``, or ``None``."""
    return WorkPool.objects.filter(name=name).first()


def get_work_pool(name: str) -> WorkPool:
    """The pool called ``name``; ``NotFoundError`` if there is none."""
    return first_or_not_found(WorkPool.objects.filter(name=name), WORK_POOL_NOT_FOUND.format(name=name))


def read_work_pools(
    work_pool_filter: Optional[schema_filters.WorkPoolFilter] = None, limit: Optional[int] = None, offset: int = 0
) -> list[WorkPool]:
    """Pools matching the filter, by name."""
    pools = WorkPool.objects.filter(filters.work_pool_filter_q(work_pool_filter)).order_by("name")
    return page(pools, offset, limit)


def update_work_pool(pool: WorkPool, update: actions.WorkPoolUpdate) -> None:
    """Write the keys the update carries; a reserved pool only pauses or changes its
    concurrency (``ForbiddenError`` otherwise)."""
    if _reserved(pool.name) and update.model_fields_set - RESERVED_UPDATABLE:
        raise ForbiddenError(RESERVED_UPDATE)
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
    except ConflictError:
        # Another request created it meanwhile.
        return WorkPool.objects.get(name=DEFAULT_AGENT_WORK_POOL_NAME)
