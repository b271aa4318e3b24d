"""Agent-era work queue routes (``/work_queues``): queues of ``default-agent-pool``, the
runs agents poll for, and queue health."""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from django.http import HttpRequest
from pydantic import Field

from api.crud import flow_runs, work_queues
from api.dependencies import write_transaction
from api.routers.work_pools import WorkQueueFilterRequest
from api.schemas import actions
from api.schemas.base import DateTime, Limit, RequestBody
from api.schemas.core import WorkQueue, WorkQueueStatusDetail
from api.schemas.responses import FlowRunResponse
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/work_queues", tags=["Work Queues"])


class GetRunsRequest(RequestBody):
    """Body of ``POST /work_queues/{id}/get_runs``."""

    scheduled_before: Optional[DateTime] = None
    agent_id: Optional[UUID] = None
    limit: Limit = Field(default=None, validate_default=True)


@router.post("/", status_code=201)
def create_work_queue(request: HttpRequest, work_queue: actions.WorkQueueCreate) -> WorkQueue:
    """Create a queue in ``default-agent-pool`` (last in priority; 409 if the name is taken).

    The pool (with its ``default`` queue) is created and committed first, so an agent
    asking for ``default`` on a fresh server gets its 409 and then finds the queue.
    """
    work_queues.ensure_default_agent_pool()
    write_transaction(request)
    return WorkQueue.model_validate(work_queues.create_work_queue(work_queue))


@router.get("/name/{name}")
def read_work_queue_by_name(request: HttpRequest, name: str) -> WorkQueue:
    """The queue ``name`` of ``default-agent-pool``."""
    return WorkQueue.model_validate(work_queues.get_work_queue_by_name(name))


# The same body as a pool's ``/queues/filter``: one class, so one OpenAPI schema.
@router.post("/filter")
def read_work_queues(request: HttpRequest, body: WorkQueueFilterRequest) -> list[WorkQueue]:
    """Queues of every pool matching the filter, by name."""
    rows = work_queues.read_work_queues(work_queue_filter=body.work_queues, limit=body.limit, offset=body.offset)
    return [WorkQueue.model_validate(row) for row in rows]


@router.patch("/{id}", status_code=204)
def update_work_queue(request: HttpRequest, id: UUID, work_queue: actions.WorkQueueUpdate) -> None:
    """Write the fields sent."""
    write_transaction(request)
    work_queues.update_work_queue_by_id(id, work_queue)


@router.get("/{id}")
def read_work_queue(request: HttpRequest, id: UUID) -> WorkQueue:
    """The queue with this id."""
    return WorkQueue.model_validate(work_queues.get_work_queue(id))


@router.post("/{id}/get_runs")
def read_work_queue_runs(request: HttpRequest, id: UUID, body: GetRunsRequest) -> list[FlowRunResponse]:
    """Scheduled runs of the queue for an agent, soonest first.

    Records the poll (and the agent, given ``agent_id``) unless the UI is asking
    (``X-PREFECT-UI: true``).
    """
    queue = work_queues.load_work_queue(id)
    runs = work_queues.get_runs_in_work_queue(queue, body.limit, body.scheduled_before)
    if request.headers.get("x-prefect-ui", "").lower() != "true":
        write_transaction(request)
        work_queues.record_poll(queue, body.agent_id)
    return flow_runs.to_schemas(runs)


@router.delete("/{id}", status_code=204)
def delete_work_queue(request: HttpRequest, id: UUID) -> None:
    """Delete the queue."""
    write_transaction(request)
    work_queues.delete_work_queue(work_queues.get_work_queue(id))


@router.get("/{id}/status")
def read_work_queue_status(request: HttpRequest, id: UUID) -> WorkQueueStatusDetail:
    """Whether the queue is healthy: no late runs and polled within the last minute."""
    return work_queues.read_work_queue_status(work_queues.load_work_queue(id))
