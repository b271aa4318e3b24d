"""Flows: create-or-get by name, read, filter, count, update tags, delete."""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from django.db import transaction

from api import models
from api.crud.filters import NO_FILTERS, RunFilterSet, flows_q, order_by
from api.crud.flow_runs import delete_flow_runs
from api.crud.paging import page
from api.crud.lookups import require, require_some, update_sent
from api.schemas import actions
from api.schemas.sorting import FlowSort

FLOW_NOT_FOUND = "Flow not found"


def create_flow(flow: actions.FlowCreate) -> tuple[models.Flow, bool]:
    """The flow named ``flow.name``, inserted if missing (its tags are then ignored);
    the flag says whether it was inserted."""
    return models.Flow.objects.get_or_create(name=flow.name, defaults={"tags": flow.tags})


def get_flow(flow_id: UUID) -> models.Flow:
    """The flow with this id; ``NotFoundError`` if missing."""
    return require(models.Flow.objects.filter(pk=flow_id).first(), FLOW_NOT_FOUND)


def get_flow_by_name(name: str) -> models.Flow:
    """The flow with this name; ``NotFoundError`` if missing."""
    return require(models.Flow.objects.filter(name=name).first(), FLOW_NOT_FOUND)


def read_flows(
    filters: RunFilterSet = NO_FILTERS,
    sort: FlowSort = FlowSort.NAME_ASC,
    limit: Optional[int] = None,
    offset: int = 0,
) -> list[models.Flow]:
    """Flows matching the filters, sorted, one page."""
    return page(models.Flow.objects.filter(flows_q(filters)).order_by(*order_by(sort)), offset, limit)


def count_flows(filters: RunFilterSet = NO_FILTERS) -> int:
    """How many flows match the filters."""
    return models.Flow.objects.filter(flows_q(filters)).count()


def update_flow(flow_id: UUID, flow: actions.FlowUpdate) -> None:
    """Write the keys sent; ``NotFoundError`` if there is no such flow."""
    update_sent(models.Flow.objects.filter(pk=flow_id), flow, FLOW_NOT_FOUND)


def delete_flow(flow_id: UUID) -> None:
    """Delete the flow with its deployments, runs, their states and logs; ``NotFoundError`` if missing."""
    with transaction.atomic():
        delete_flow_runs(models.FlowRun.objects.filter(flow_id=flow_id))
        models.Deployment.objects.filter(flow_id=flow_id).delete()
        deleted, _ = models.Flow.objects.filter(pk=flow_id).delete()
    require_some(deleted, FLOW_NOT_FOUND)
