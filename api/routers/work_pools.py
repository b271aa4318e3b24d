"""Work pool routes (``/work_pools``): pools, their queues, workers' heartbeats and the
scheduled runs workers poll for."""

from __future__ import annotations

from typing import Optional

from django.http import HttpRequest
from pydantic import Field

from api.crud import work_pools, work_queues, workers
from api.dependencies import write_transaction
from api.schemas import actions, filters
from api.schemas.base import DateTime, IndexedText, Limit, Offset, RequestBody
from api.schemas.core import Worker, WorkPool, WorkQueue
from api.schemas.responses import WorkerFlowRunResponse
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/work_pools", tags=["Work Pools"])


class WorkPoolFilterRequest(RequestBody):
    """Body of ``POST /work_pools/filter``."""

    work_pools: Optional[filters.WorkPoolFilter] = None
    limit: Limit = Field(default=None, validate_default=True)
    offset: Offset = 0


class ScheduledRunsRequest(RequestBody):
    """Body of ``POST /work_pools/{name}/get_scheduled_flow_runs``."""

    work_queue_names: Optional[list[str]] = None
    scheduled_before: Optional[DateTime] = None
    scheduled_after: Optional[DateTime] = None
    limit: Limit = Field(default=None, validate_default=True)


class WorkQueueFilterRequest(RequestBody):
    """Body of ``POST /work_pools/{pool}/queues/filter``."""

    work_queues: Optional[filters.WorkQueueFilter] = None
    limit: Limit = Field(default=None, validate_default=True)
    offset: Offset = 0


class HeartbeatRequest(RequestBody):
    """Body of ``POST /work_pools/{pool}/workers/heartbeat``."""

    name: IndexedText


class WorkerFilterRequest(RequestBody):
    """Body of ``POST /work_pools/{pool}/workers/filter``."""

    workers: Optional[filters.WorkerFilter] = None
    limit: Limit = Field(default=None, validate_default=True)
    offset: Offset = 0


# --- Pools ---------------------------------------------------------------------------


@router.post("/", status_code=201)
def create_work_pool(request: HttpRequest, work_pool: actions.WorkPoolCreate) -> WorkPool:
    """Create a pool with its ``default`` queue."""
    work_pools.check_pool_creatable(work_pool.name)
    write_transaction(request)
    return WorkPool.model_validate(work_pools.create_work_pool(work_pool))


@router.post("/filter")
def read_work_pools(request: HttpRequest, body: WorkPoolFilterRequest) -> list[WorkPool]:
    """Pools matching the filter, by name."""
    rows = work_pools.read_work_pools(work_pool_filter=body.work_pools, limit=body.limit, offset=body.offset)
    return [WorkPool.model_validate(row) for row in rows]


@router.get("/{name}")
def read_work_pool(request: HttpRequest, name: str) -> WorkPool:
    """The pool called ``name``."""
    return WorkPool.model_validate(work_pools.get_work_pool(name))


@router.patch("/{name}", status_code=204)
def update_work_pool(request: HttpRequest, name: str, work_pool: actions.WorkPoolUpdate) -> None:
    """Write the fields sent; reserved pools only pause or change their concurrency."""
    write_transaction(request)
    work_pools.update_work_pool(work_pools.get_work_pool(name), work_pool)


@router.delete("/{name}", status_code=204)
def delete_work_pool(request: HttpRequest, name: str) -> None:
    """Delete the pool with its queues and workers."""
    work_pools.check_pool_deletable(name)
    write_transaction(request)
    work_pools.delete_work_pool(work_pools.get_work_pool(name))


@router.post("/{name}/get_scheduled_flow_runs")
def get_scheduled_flow_runs(
    request: HttpRequest, name: str, body: ScheduledRunsRequest
) -> list[WorkerFlowRunResponse]:
    """Scheduled runs of the pool's queues (or the named ones) for a worker; the polled
    queues are marked as polled."""
    pool = work_pools.get_work_pool(name)
    queues = [work_queues.get_pool_queue(name, queue_name) for queue_name in body.work_queue_names or []]
    runs = workers.get_scheduled_flow_runs(pool, queues, body.scheduled_before, body.scheduled_after, body.limit)
    write_transaction(request)
    work_queues.mark_queues_polled(pool, queues)
    return runs


# --- Queues --------------------------------------------------------------------------


@router.post("/{work_pool_name}/queues", status_code=201)
def create_work_queue(request: HttpRequest, work_pool_name: str, work_queue: actions.WorkQueueCreate) -> WorkQueue:
    """Create a queue in the pool at the priority asked for (others move down)."""
    write_transaction(request)
    pool = work_pools.get_work_pool(work_pool_name)
    return WorkQueue.model_validate(work_queues.create_work_queue(work_queue, pool=pool))


@router.post("/{work_pool_name}/queues/filter")
def read_work_queues(request: HttpRequest, work_pool_name: str, body: WorkQueueFilterRequest) -> list[WorkQueue]:
    """Queues of the pool matching the filter, by priority."""
    pool = work_pools.get_work_pool(work_pool_name)
    rows = work_queues.read_work_queues(
        work_queue_filter=body.work_queues, limit=body.limit, offset=body.offset, pool=pool
    )
    return [WorkQueue.model_validate(row) for row in rows]


@router.get("/{work_pool_name}/queues/{name}")
def read_work_queue(request: HttpRequest, work_pool_name: str, name: str) -> WorkQueue:
    """The queue ``name`` of the pool."""
    return WorkQueue.model_validate(work_queues.get_pool_queue(work_pool_name, name))


@router.patch("/{work_pool_name}/queues/{name}", status_code=204)
def update_work_queue(
    request: HttpRequest, work_pool_name: str, name: str, work_queue: actions.WorkQueueUpdate
) -> None:
    """Write the fields sent (a new priority re-orders the pool's queues)."""
    write_transaction(request)
    work_queues.update_work_queue(work_queues.get_pool_queue(work_pool_name, name), work_queue)


@router.delete("/{work_pool_name}/queues/{name}", status_code=204)
def delete_work_queue(request: HttpRequest, work_pool_name: str, name: str) -> None:
    """Delete the queue; the rest of the pool is renumbered."""
    write_transaction(request)
    work_queues.delete_work_queue(work_queues.get_pool_queue(work_pool_name, name))


# --- Workers -------------------------------------------------------------------------


@router.post("/{work_pool_name}/workers/heartbeat", status_code=204)
def worker_heartbeat(request: HttpRequest, work_pool_name: str, body: HeartbeatRequest) -> None:
    """Record that the worker ``name`` is alive."""
    write_transaction(request)
    workers.worker_heartbeat(work_pools.get_work_pool(work_pool_name), body.name)


@router.post("/{work_pool_name}/workers/filter")
def read_workers(request: HttpRequest, work_pool_name: str, body: WorkerFilterRequest) -> list[Worker]:
    """Workers of the pool matching the filter, most recent heartbeat first."""
    pool = work_pools.get_work_pool(work_pool_name)
    rows = workers.read_workers(pool, worker_filter=body.workers, limit=body.limit, offset=body.offset)
    return [Worker.model_validate(row) for row in rows]
