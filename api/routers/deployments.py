"""Deployment routes (``/deployments``): upsert, read, filter, update, delete, schedule
control, runs from a deployment."""

from __future__ import annotations

import datetime as dt
from typing import Optional
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja.responses import Status
from pydantic import Field

from api.crud import deployments, flow_runs, scheduling
from api.crud.filters import RunFilterSet
from api.dependencies import write_transaction
from api.routers.flow_runs import FlowRunCountRequest
from api.schemas import actions
from api.schemas.base import DateTime, Int32, Limit, Offset, RequestBody
from api.schemas.core import WorkQueue
from api.schemas.responses import DeploymentResponse, FlowRunResponse
from api.schemas.sorting import DeploymentSort
from api.utilities.server import OrionRouter, json_response

router = OrionRouter(prefix="/deployments", tags=["Deployments"])


class DeploymentCountRequest(FlowRunCountRequest):
    """Body of ``POST /deployments/count``."""


class DeploymentFilterRequest(DeploymentCountRequest):
    """Body of ``POST /deployments/filter``."""

    sort: DeploymentSort = DeploymentSort.NAME_ASC
    limit: Limit = Field(default=None, validate_default=True)
    offset: Offset = 0


class ScheduleRequest(RequestBody):
    """Body of ``POST /deployments/{id}/schedule``; absent values use the scheduler's."""

    start_time: Optional[DateTime] = None
    end_time: Optional[DateTime] = None
    min_time: Optional[dt.timedelta] = None
    min_runs: Optional[Int32] = None
    max_runs: Optional[Int32] = None


@router.post("/", status_code=201)
def create_deployment(request: HttpRequest, deployment: actions.DeploymentCreate) -> DeploymentResponse:
    """Create the deployment, or update the one of this flow with this name (200)."""
    write_transaction(request)
    row, created = deployments.create_deployment(deployment)
    return Status(201 if created else 200, deployments.to_schema(row))


@router.post("/count")
def count_deployments(request: HttpRequest, body: DeploymentCountRequest) -> int:
    """How many deployments match the filters."""
    return deployments.count_deployments(filters=RunFilterSet.of(body))


@router.get("/name/{flow_name}/{deployment_name}")
def read_deployment_by_name(request: HttpRequest, flow_name: str, deployment_name: str) -> DeploymentResponse:
    """The deployment ``deployment_name`` of the flow ``flow_name``."""
    return deployments.to_schema(deployments.get_deployment_by_name(flow_name, deployment_name))


@router.post("/filter")
def read_deployments(request: HttpRequest, body: DeploymentFilterRequest) -> list[DeploymentResponse]:
    """Deployments matching the filters, sorted, one page."""
    rows = deployments.read_deployments(
        filters=RunFilterSet.of(body), sort=body.sort, limit=body.limit, offset=body.offset
    )
    return deployments.to_schemas(rows)


@router.patch("/{id}", status_code=204)
def update_deployment(request: HttpRequest, id: UUID, deployment: actions.DeploymentUpdate) -> None:
    """Write the fields sent."""
    write_transaction(request)
    deployments.update_deployment(id, deployment)


@router.get("/{id}")
def read_deployment(request: HttpRequest, id: UUID) -> DeploymentResponse:
    """The deployment with this id."""
    return deployments.to_schema(deployments.get_deployment(id))


@router.delete("/{id}", status_code=204)
def delete_deployment(request: HttpRequest, id: UUID) -> None:
    """Delete the deployment and its runs that are still scheduled."""
    write_transaction(request)
    deployments.delete_deployment(id)


@router.post("/{id}/schedule")
def schedule_deployment(request: HttpRequest, id: UUID, body: ScheduleRequest) -> HttpResponse:
    """Insert the deployment's next auto-scheduled runs (nothing for an unknown id)."""
    write_transaction(request)
    scheduling.schedule_runs(
        id,
        start_time=body.start_time,
        end_time=body.end_time,
        min_time=body.min_time,
        min_runs=body.min_runs,
        max_runs=body.max_runs,
    )
    return json_response(None, 200)


@router.post("/{id}/set_schedule_active")
def set_schedule_active(request: HttpRequest, id: UUID) -> HttpResponse:
    """Turn the schedule on (the scheduler adds runs on its next pass)."""
    write_transaction(request)
    deployments.set_schedule_active(id, True)
    return json_response(None, 200)


@router.post("/{id}/set_schedule_inactive")
def set_schedule_inactive(request: HttpRequest, id: UUID) -> HttpResponse:
    """Turn the schedule off and drop its future auto-scheduled runs."""
    write_transaction(request)
    deployments.set_schedule_active(id, False)
    return json_response(None, 200)


@router.post("/{id}/create_flow_run", status_code=201)
def create_flow_run_from_deployment(
    request: HttpRequest, id: UUID, flow_run: actions.DeploymentFlowRunCreate
) -> FlowRunResponse:
    """A run of the deployment (Pending unless a state is given); an idempotency key
    already used returns that run (200)."""
    write_transaction(request)
    row = deployments.get_deployment(id)
    run, created = deployments.create_flow_run_from_deployment(row, flow_run, api_version=request.api_version)
    return Status(201 if created else 200, flow_runs.to_schema(run))


@router.get("/{id}/work_queue_check")
def work_queue_check_for_deployment(request: HttpRequest, id: UUID) -> list[WorkQueue]:
    """Legacy tag-filter queues that would pick up this deployment's runs (deprecated)."""
    queues = deployments.work_queues_for_deployment(deployments.get_deployment(id))
    return [WorkQueue.model_validate(queue) for queue in queues]
