"""Criteria of flows, flow runs, task runs and deployments, and ``RunFilterSet``: the
filters of one request, which every reader of those objects takes.

``flows_q`` / ``flow_runs_q`` / ``task_runs_q`` / ``deployments_q`` add the other
objects of a request as correlated ``EXISTS`` subqueries (a flow matches a flow-run filter
when one of its runs does, a run matches a flow filter when its flow does, ...). A
filter's ``operator`` combines its own criteria; the objects of a request are AND-ed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from django.db.models import Exists, OuterRef, Q

from api import models
from api.crud.filters.common import (
    any_in,
    any_of,
    combine,
    equals,
    exists,
    id_q,
    joined_criteria,
    name_q,
    nullable_any,
    outer_refs,
    related,
    tags_q,
    time_range,
)
from api.crud.filters.work import work_pool_filter_q, work_queue_filter_q
from api.schemas import filters as f


@dataclass(frozen=True)
class RunFilterSet:
    """The object filters of one run query, carried from the request body (``of``) to crud
    and the filter builders as one value; None filters constrain nothing."""

    flows: Optional[f.FlowFilter] = None
    flow_runs: Optional[f.FlowRunFilter] = None
    task_runs: Optional[f.TaskRunFilter] = None
    deployments: Optional[f.DeploymentFilter] = None
    work_pools: Optional[f.WorkPoolFilter] = None
    work_queues: Optional[f.WorkQueueFilter] = None

    @classmethod
    def of(cls, body: object) -> RunFilterSet:
        """The filters a request body carries (``work_pool_queues`` on some routes'
        wire is ``work_queues``); attributes it lacks are None."""
        work_queues = getattr(body, "work_queues", None)
        if work_queues is None:
            work_queues = getattr(body, "work_pool_queues", None)
        return cls(
            flows=getattr(body, "flows", None),
            flow_runs=getattr(body, "flow_runs", None),
            task_runs=getattr(body, "task_runs", None),
            deployments=getattr(body, "deployments", None),
            work_pools=getattr(body, "work_pools", None),
            work_queues=work_queues,
        )


NO_FILTERS = RunFilterSet()


def _state_q(criterion: Optional[f.RunState]) -> Q:
    if criterion is None:
        return Q()
    parts = []
    if criterion.type is not None:
        types = None if criterion.type.any_ is None else [t.value for t in criterion.type.any_]
        parts.append(any_in("state_type", types))
    parts.append(any_of("state_name", criterion.name))
    return combine(parts, criterion.operator)


def pinned_state_types(flt: Optional[f.FlowRunFilter]) -> Optional[list[str]]:
    """The state types a run must have to match ``flt``: its state filter's ``type.any_``
    when both that filter and ``flt`` join their criteria with ``and_``; else None (with
    ``or_``, runs of other types can match through another criterion)."""
    state = None if flt is None else flt.state
    if state is None or state.type is None or state.type.any_ is None:
        return None
    if flt.operator != f.Operator.and_ or state.operator != f.Operator.and_:
        return None
    return sorted({t.value for t in state.type.any_})


def _identity(flt: f.FlowFilter | f.FlowRunFilter | f.TaskRunFilter | f.DeploymentFilter) -> list[Q]:
    """The id, name and tags criteria that flows, runs and deployments filter alike."""
    return [id_q(flt.id), name_q(flt.name), tags_q(flt.tags)]


@joined_criteria
def flow_filter_q(flt: f.FlowFilter) -> list[Q]:
    """Criteria of a ``FlowFilter`` on flows."""
    return _identity(flt)


@joined_criteria
def flow_run_filter_q(flt: f.FlowRunFilter) -> list[Q]:
    """Criteria of a ``FlowRunFilter`` on flow runs."""
    criteria = [
        *_identity(flt),
        nullable_any("deployment_id", flt.deployment_id),
        nullable_any("work_queue_name", flt.work_queue_name),
        _state_q(flt.state),
        any_of("flow_version", flt.flow_version),
        time_range("start_time", flt.start_time),
        time_range("expected_start_time", flt.expected_start_time),
        time_range("next_scheduled_start_time", flt.next_scheduled_start_time),
        nullable_any("parent_task_run_id", flt.parent_task_run_id),
    ]
    return criteria


@joined_criteria
def task_run_filter_q(flt: f.TaskRunFilter) -> list[Q]:
    """Criteria of a ``TaskRunFilter`` on task runs."""
    criteria = [*_identity(flt), _state_q(flt.state), time_range("start_time", flt.start_time)]
    if flt.subflow_runs is not None and flt.subflow_runs.exists_ is not None:
        has_subflow = Exists(models.FlowRun.objects.filter(parent_task_run_id=OuterRef("pk")))
        criteria.append(Q(has_subflow) if flt.subflow_runs.exists_ else ~Q(has_subflow))
    return criteria


@joined_criteria
def deployment_filter_q(flt: f.DeploymentFilter) -> list[Q]:
    """Criteria of a ``DeploymentFilter`` on deployments."""
    criteria = [
        *_identity(flt),
        equals("is_schedule_active", flt.is_schedule_active),
        any_of("work_queue_name", flt.work_queue_name),
    ]
    return criteria


def _task_runs_exist(task_runs: Optional[f.TaskRunFilter]) -> Q:
    """Some task run of the (outer) flow run matches ``task_runs``."""
    return related(models.TaskRun, task_run_filter_q, task_runs, flow_run_id="pk")


def _runs_exist(filters: RunFilterSet, **links: str) -> Q:
    """Some flow run linked to the outer row matches the flow-run and task-run filters."""
    if filters.flow_runs is None and filters.task_runs is None:
        return Q()
    criteria = flow_run_filter_q(filters.flow_runs) & _task_runs_exist(filters.task_runs)
    return exists(models.FlowRun.objects.filter(**outer_refs(links)), criteria)


def _queue_q(filters: RunFilterSet) -> Q:
    """The (outer) row's work queue matches ``work_queues`` and its pool ``work_pools``."""
    if filters.work_pools is None and filters.work_queues is None:
        return Q()
    criteria = work_queue_filter_q(filters.work_queues) & related(
        models.WorkPool, work_pool_filter_q, filters.work_pools, pk="work_pool_id"
    )
    return exists(models.WorkQueue.objects.filter(pk=OuterRef("work_queue_id")), criteria)


def flows_q(filters: RunFilterSet = NO_FILTERS) -> Q:
    """Flows matching ``flows`` with a matching run (and task run) and deployment."""
    criteria = [
        flow_filter_q(filters.flows),
        _runs_exist(filters, flow_id="pk"),
        related(models.Deployment, deployment_filter_q, filters.deployments, flow_id="pk"),
    ]
    return combine(criteria)


def flow_runs_q(filters: RunFilterSet = NO_FILTERS) -> Q:
    """Flow runs matching ``flow_runs`` whose flow, task runs, deployment, pool and queue
    match the other filters."""
    criteria = [
        flow_run_filter_q(filters.flow_runs),
        _task_runs_exist(filters.task_runs),
        related(models.Flow, flow_filter_q, filters.flows, pk="flow_id"),
        # Runs whose deployment was deleted never match a deployment filter.
        related(models.Deployment, deployment_filter_q, filters.deployments, pk="deployment_id"),
        _queue_q(filters),
    ]
    return combine(criteria)


def task_runs_q(filters: RunFilterSet = NO_FILTERS) -> Q:
    """Task runs matching ``task_runs`` whose flow run, flow and deployment match."""
    criteria = [task_run_filter_q(filters.task_runs)]
    if filters.flows is not None or filters.flow_runs is not None or filters.deployments is not None:
        run_filters = RunFilterSet(flows=filters.flows, flow_runs=filters.flow_runs, deployments=filters.deployments)
        # IN (subquery), not a correlated EXISTS: SQLite then looks the few matching runs'
        # task runs up by flow_run_id instead of scanning every task run in sort order.
        criteria.append(Q(flow_run_id__in=models.FlowRun.objects.filter(flow_runs_q(run_filters)).values("pk")))
    return combine(criteria)


def deployments_q(filters: RunFilterSet = NO_FILTERS) -> Q:
    """Deployments matching ``deployments`` whose flow, runs, pool and queue match."""
    criteria = [
        deployment_filter_q(filters.deployments),
        related(models.Flow, flow_filter_q, filters.flows, pk="flow_id"),
        _runs_exist(filters, deployment_id="pk"),
        _queue_q(filters),
    ]
    return combine(criteria)
