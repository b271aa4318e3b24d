"""Flow routes (``/flows``)."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja.responses import Status
from pydantic import Field

from api.crud import flows
from api.crud.filters import RunFilterSet
from api.dependencies import write_transaction
from api.routers.flow_runs import RunFilters
from api.schemas import actions, core
from api.schemas.base import Limit, Offset
from api.schemas.sorting import FlowSort
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/flows", tags=["Flows"])


class FlowCountRequest(RunFilters):
    """Body of ``POST /flows/count``."""


class FlowFilterRequest(FlowCountRequest):
    """Body of ``POST /flows/filter``."""

    sort: FlowSort = FlowSort.NAME_ASC
    limit: Limit = Field(default=None, validate_default=True)
    offset: Offset = 0


@router.post("/", status_code=201)
def create_flow(request: HttpRequest, flow: actions.FlowCreate) -> core.Flow:
    """Create a flow, or return the one with this name (200, tags unchanged)."""
    write_transaction(request)
    row, created = flows.create_flow(flow)
    return Status(201 if created else 200, core.Flow.model_validate(row))


@router.post("/count")
def count_flows(request: HttpRequest, body: FlowCountRequest) -> int:
    """How many flows match the filters."""
    return flows.count_flows(filters=RunFilterSet.of(body))


@router.get("/name/{name}")
def read_flow_by_name(request: HttpRequest, name: str) -> core.Flow:
    """The flow with this name."""
    return core.Flow.model_validate(flows.get_flow_by_name(name))


@router.post("/filter")
def read_flows(request: HttpRequest, body: FlowFilterRequest) -> list[core.Flow]:
    """Flows matching the filters, sorted, one page."""
    rows = flows.read_flows(filters=RunFilterSet.of(body), sort=body.sort, limit=body.limit, offset=body.offset)
    return [core.Flow.model_validate(row) for row in rows]


@router.patch("/{id}", status_code=204)
def update_flow(request: HttpRequest, id: UUID, flow: actions.FlowUpdate) -> None:
    """Change a flow's tags."""
    write_transaction(request)
    flows.update_flow(id, flow)


@router.get("/{id}")
def read_flow(request: HttpRequest, id: UUID) -> core.Flow:
    """The flow with this id."""
    return core.Flow.model_validate(flows.get_flow(id))


@router.delete("/{id}", status_code=204)
def delete_flow(request: HttpRequest, id: UUID) -> None:
    """Delete a flow with its deployments and runs."""
    write_transaction(request)
    flows.delete_flow(id)
