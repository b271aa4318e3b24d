"""Flows: create-or-get by name, read, filter, count, update tags, delete."""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from api import models
from api.crud.filters import flows_q, order_by
from api.crud.flow_runs import delete_flow_runs
from api.schemas import actions, filters
from api.schemas.sorting import FlowSort


def create_flow(flow: actions.FlowCreate) -> tuple[models.Flow, bool]:
    """The flow named ``flow.name``, inserted if missing (its tags are then ignored);
    the flag says whether it was inserted."""
    return models.Flow.objects.get_or_create(name=flow.name, defaults={"tags": flow.tags})


def read_flow(flow_id: UUID) -> Optional[models.Flow]:
    """The flow with this id, or None."""
    return models.Flow.objects.filter(pk=flow_id).first()


def read_flow_by_name(name: str) -> Optional[models.Flow]:
    """The flow with this name, or None."""
    return models.Flow.objects.filter(name=name).first()


def read_flows(
    flows: Optional[filters.FlowFilter] = None,
    flow_runs: Optional[filters.FlowRunFilter] = None,
    task_runs: Optional[filters.TaskRunFilter] = None,
    deployments: Optional[filters.DeploymentFilter] = None,
    sort: FlowSort = FlowSort.NAME_ASC,
    limit: Optional[int] = None,
    offset: int = 0,
) -> list[models.Flow]:
    """Flows matching the filters, sorted, one page."""
    queryset = models.Flow.objects.filter(flows_q(flows, flow_runs, task_runs, deployments))
    queryset = queryset.order_by(*order_by(sort))
    end = None if limit is None else offset + limit
    return list(queryset[offset:end])


def count_flows(
    flows: Optional[filters.FlowFilter] = None,
    flow_runs: Optional[filters.FlowRunFilter] = None,
    task_runs: Optional[filters.TaskRunFilter] = None,
    deployments: Optional[filters.DeploymentFilter] = None,
) -> int:
    """How many flows match the filters."""
    return models.Flow.objects.filter(flows_q(flows, flow_runs, task_runs, deployments)).count()


def update_flow(flow_id: UUID, flow: actions.FlowUpdate) -> bool:
    """Write the keys sent; False if there is no such flow."""
    values = flow.model_dump(include=flow.model_fields_set, mode="json")
    return models.Flow.objects.filter(pk=flow_id).update(**values, updated=timezone.now()) > 0


def delete_flow(flow_id: UUID) -> bool:
    """Delete the flow with its deployments, runs, their states and logs; False if missing."""
    with transaction.atomic():
        delete_flow_runs(models.FlowRun.objects.filter(flow_id=flow_id))
        models.Deployment.objects.filter(flow_id=flow_id).delete()
        deleted, _ = models.Flow.objects.filter(pk=flow_id).delete()
    return deleted > 0
