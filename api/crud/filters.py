"""Filter objects and sort options turned into ``Q`` / ``Exists`` expressions and orderings.

One ``<name>_q(filter)`` per filter model builds the criteria on that model's own rows;
``flows_q`` / ``flow_runs_q`` / ``task_runs_q`` / ``deployments_q`` add the other objects
of a request as correlated ``EXISTS`` subqueries (a flow matches a flow-run filter when
one of its runs does, a run matches a flow filter when its flow does, ...).
A filter's ``operator`` combines its own criteria; the objects of a request are AND-ed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import reduce
from typing import Any, Optional

from django.db import models as dj
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.db.models.lookups import Lookup

from api import models
from api.schemas import filters as f
from api.schemas.sorting import DeploymentSort, FlowRunSort, FlowSort, LogSort, TaskRunSort


@dj.JSONField.register_lookup
class ContainsAll(Lookup):
    """``tags__contains_all=[...]``: a JSON list column holds every one of the values.

    Django's JSON ``contains`` does not exist on SQLite, so each database gets its own SQL:
    ``@>`` on PostgreSQL, a ``json_each`` count on SQLite.
    """

    lookup_name = "contains_all"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        """Render the containment test for ``connection``'s database."""
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = sorted(set(self.rhs))
        if connection.vendor == "postgresql":
            return f"{lhs} @> %s::jsonb", [*lhs_params, json.dumps(values)]
        placeholders = ", ".join(["%s"] * len(values))
        sql = (
            f"(SELECT COUNT(DISTINCT _tag.value) FROM json_each({lhs}) AS _tag "
            f"WHERE _tag.type = 'text' AND _tag.value IN ({placeholders})) = %s"
        )
        return sql, [*lhs_params, *values, len(values)]


def _combine(criteria: Iterable[Q], operator: f.Operator) -> Q:
    """Join ``criteria`` with the filter's operator; no criteria constrain nothing."""
    criteria = [criterion for criterion in criteria if criterion]
    if not criteria:
        return Q()
    joiner = (lambda a, b: a | b) if operator == f.Operator.or_ else (lambda a, b: a & b)
    return reduce(joiner, criteria)


def _any(field: str, values: Optional[list[Any]]) -> Q:
    return Q() if values is None else Q(**{f"{field}__in": values})


def _is_null(field: str, is_null: Optional[bool]) -> Q:
    return Q() if is_null is None else Q(**{f"{field}__isnull": is_null})


def _like(field: str, value: Optional[str]) -> Q:
    # icontains escapes % and _, where the original's ILIKE treats them as wildcards.
    return Q() if value is None else Q(**{f"{field}__icontains": value})


def _time_range(field: str, criterion: Optional[f.TimeRange]) -> Q:
    if criterion is None:
        return Q()
    parts = []
    if criterion.before_ is not None:
        parts.append(Q(**{f"{field}__lte": criterion.before_}))
    if criterion.after_ is not None:
        parts.append(Q(**{f"{field}__gte": criterion.after_}))
    if isinstance(criterion, f.TimeRangeIsNull):
        parts.append(_is_null(field, criterion.is_null_))
    return _combine(parts, f.Operator.and_)


def tags_q(criterion: Optional[f.Tags], field: str = "tags") -> Q:
    """``all_``: every tag present; ``is_null_``: the tag list is (not) empty."""
    if criterion is None:
        return Q()
    parts = []
    if criterion.all_:
        parts.append(Q(**{f"{field}__contains_all": criterion.all_}))
    if criterion.is_null_ is not None:
        empty = Q(**{field: []})
        parts.append(empty if criterion.is_null_ else ~empty)
    return _combine(parts, criterion.operator)


def _state_q(criterion: Optional[f.RunState]) -> Q:
    if criterion is None:
        return Q()
    parts = []
    if criterion.type is not None:
        types = None if criterion.type.any_ is None else [t.value for t in criterion.type.any_]
        parts.append(_any("state_type", types))
    if criterion.name is not None:
        parts.append(_any("state_name", criterion.name.any_))
    return _combine(parts, criterion.operator)


def _name_q(criterion: Optional[f.NameAnyLike]) -> Q:
    if criterion is None:
        return Q()
    return _combine([_any("name", criterion.any_), _like("name", criterion.like_)], f.Operator.and_)


def _id_q(criterion: Optional[f.IdAny | f.IdAnyNotAny]) -> Q:
    if criterion is None:
        return Q()
    parts = [_any("id", criterion.any_)]
    if isinstance(criterion, f.IdAnyNotAny) and criterion.not_any_ is not None:
        parts.append(~Q(id__in=criterion.not_any_))
    return _combine(parts, f.Operator.and_)


def _nullable_any(field: str, criterion: Optional[f.IdAnyIsNull | f.StrAnyIsNull]) -> Q:
    if criterion is None:
        return Q()
    return _combine([_any(field, criterion.any_), _is_null(field, criterion.is_null_)], criterion.operator)


def flow_filter_q(flt: Optional[f.FlowFilter]) -> Q:
    """Criteria of a ``FlowFilter`` on flows."""
    if flt is None:
        return Q()
    return _combine([_id_q(flt.id), _name_q(flt.name), tags_q(flt.tags)], flt.operator)


def flow_run_filter_q(flt: Optional[f.FlowRunFilter]) -> Q:
    """Criteria of a ``FlowRunFilter`` on flow runs."""
    if flt is None:
        return Q()
    criteria = [
        _id_q(flt.id),
        _name_q(flt.name),
        tags_q(flt.tags),
        _nullable_any("deployment_id", flt.deployment_id),
        _nullable_any("work_queue_name", flt.work_queue_name),
        _state_q(flt.state),
        _any("flow_version", flt.flow_version.any_ if flt.flow_version else None),
        _time_range("start_time", flt.start_time),
        _time_range("expected_start_time", flt.expected_start_time),
        _time_range("next_scheduled_start_time", flt.next_scheduled_start_time),
        _nullable_any("parent_task_run_id", flt.parent_task_run_id),
    ]
    return _combine(criteria, flt.operator)


def task_run_filter_q(flt: Optional[f.TaskRunFilter]) -> Q:
    """Criteria of a ``TaskRunFilter`` on task runs."""
    if flt is None:
        return Q()
    criteria = [
        _id_q(flt.id),
        _name_q(flt.name),
        tags_q(flt.tags),
        _state_q(flt.state),
        _time_range("start_time", flt.start_time),
    ]
    if flt.subflow_runs is not None and flt.subflow_runs.exists_ is not None:
        has_subflow = Exists(models.FlowRun.objects.filter(parent_task_run_id=OuterRef("pk")))
        criteria.append(Q(has_subflow) if flt.subflow_runs.exists_ else ~Q(has_subflow))
    return _combine(criteria, flt.operator)


def deployment_filter_q(flt: Optional[f.DeploymentFilter]) -> Q:
    """Criteria of a ``DeploymentFilter`` on deployments."""
    if flt is None:
        return Q()
    criteria = [
        _id_q(flt.id),
        _name_q(flt.name),
        Q() if flt.is_schedule_active is None or flt.is_schedule_active.eq_ is None
        else Q(is_schedule_active=flt.is_schedule_active.eq_),
        tags_q(flt.tags),
        _any("work_queue_name", flt.work_queue_name.any_ if flt.work_queue_name else None),
    ]
    return _combine(criteria, flt.operator)


def work_pool_filter_q(flt: Optional[f.WorkPoolFilter]) -> Q:
    """Criteria of a ``WorkPoolFilter`` on work pools."""
    if flt is None:
        return Q()
    criteria = [
        _id_q(flt.id),
        _any("name", flt.name.any_ if flt.name else None),
        _any("type", flt.type.any_ if flt.type else None),
    ]
    return _combine(criteria, flt.operator)


def work_queue_filter_q(flt: Optional[f.WorkQueueFilter]) -> Q:
    """Criteria of a ``WorkQueueFilter`` on work queues (name prefixes are OR-ed)."""
    if flt is None:
        return Q()
    criteria = [_id_q(flt.id)]
    if flt.name is not None:
        criteria.append(_any("name", flt.name.any_))
        if flt.name.startswith_ is not None:
            prefixes = [Q(name__istartswith=prefix) for prefix in flt.name.startswith_]
            # An empty prefix list matches nothing, like an empty ``any_``.
            criteria.append(_combine(prefixes, f.Operator.or_) if prefixes else Q(pk__in=[]))
    return _combine(criteria, flt.operator)


def log_filter_q(flt: Optional[f.LogFilter]) -> Q:
    """Criteria of a ``LogFilter`` on log lines."""
    if flt is None:
        return Q()
    criteria = [
        _time_range("timestamp", flt.timestamp),
        _any("flow_run_id", flt.flow_run_id.any_ if flt.flow_run_id else None),
        _any("task_run_id", flt.task_run_id.any_ if flt.task_run_id else None),
    ]
    if flt.level is not None:
        if flt.level.ge_ is not None:
            criteria.append(Q(level__gte=flt.level.ge_))
        if flt.level.le_ is not None:
            criteria.append(Q(level__lte=flt.level.le_))
    return _combine(criteria, flt.operator)


def block_type_filter_q(flt: Optional[f.BlockTypeFilter]) -> Q:
    """Criteria of a ``BlockTypeFilter`` on block types (always AND-ed)."""
    if flt is None:
        return Q()
    return _combine(
        [_like("name", flt.name.like_ if flt.name else None), _any("slug", flt.slug.any_ if flt.slug else None)],
        f.Operator.and_,
    )


def block_schema_filter_q(flt: Optional[f.BlockSchemaFilter]) -> Q:
    """Criteria of a ``BlockSchemaFilter`` on block schemas."""
    if flt is None:
        return Q()
    criteria = [
        _any("block_type_id", flt.block_type_id.any_ if flt.block_type_id else None),
        _id_q(flt.id),
        _any("version", flt.version.any_ if flt.version else None),
    ]
    if flt.block_capabilities is not None and flt.block_capabilities.all_:
        criteria.append(Q(capabilities__contains_all=flt.block_capabilities.all_))
    return _combine(criteria, flt.operator)


def block_schemas_of_type_exist_q(flt: Optional[f.BlockSchemaFilter]) -> Q:
    """Block types having at least one schema that matches ``flt`` (no filter: all)."""
    if flt is None:
        return Q()
    return _exists(models.BlockSchema.objects.filter(block_type_id=OuterRef("pk")), block_schema_filter_q(flt))


def block_document_filter_q(flt: Optional[f.BlockDocumentFilter]) -> Q:
    """Criteria of a ``BlockDocumentFilter`` on block documents."""
    if flt is None:
        return Q()
    criteria = [
        _id_q(flt.id),
        # ``__in`` renders ``is_anonymous IN (false)``, which SQLite answers from the
        # (is_anonymous, name) index; ``NOT is_anonymous`` would scan every anonymous row.
        Q() if flt.is_anonymous is None or flt.is_anonymous.eq_ is None
        else Q(is_anonymous__in=[flt.is_anonymous.eq_]),
        _any("block_type_id", flt.block_type_id.any_ if flt.block_type_id else None),
        _any("name", flt.name.any_ if flt.name else None),
    ]
    return _combine(criteria, flt.operator)


def block_document_related_q(
    block_types: Optional[f.BlockTypeFilter], block_schemas: Optional[f.BlockSchemaFilter]
) -> Q:
    """Block documents whose block type and block schema match the filters."""
    criteria = []
    if block_types is not None:
        criteria.append(
            _exists(models.BlockType.objects.filter(pk=OuterRef("block_type_id")), block_type_filter_q(block_types))
        )
    if block_schemas is not None:
        criteria.append(
            _exists(
                models.BlockSchema.objects.filter(pk=OuterRef("block_schema_id")), block_schema_filter_q(block_schemas)
            )
        )
    return _combine(criteria, f.Operator.and_)


def _exists(queryset: dj.QuerySet, criteria: Q) -> Q:
    return Q(Exists(queryset.filter(criteria)))


def _task_runs_exist(task_runs: Optional[f.TaskRunFilter], flow_run_ref: str = "pk") -> Q:
    """Some task run of the (outer) flow run matches ``task_runs``."""
    if task_runs is None:
        return Q()
    return _exists(models.TaskRun.objects.filter(flow_run_id=OuterRef(flow_run_ref)), task_run_filter_q(task_runs))


def _queue_q(
    work_pools: Optional[f.WorkPoolFilter], work_queues: Optional[f.WorkQueueFilter], queue_ref: str
) -> Q:
    """The (outer) row's work queue matches ``work_queues`` and its pool ``work_pools``."""
    if work_pools is None and work_queues is None:
        return Q()
    criteria = work_queue_filter_q(work_queues)
    if work_pools is not None:
        criteria &= _exists(
            models.WorkPool.objects.filter(pk=OuterRef("work_pool_id")), work_pool_filter_q(work_pools)
        )
    return _exists(models.WorkQueue.objects.filter(pk=OuterRef(queue_ref)), criteria)


def flows_q(
    flows: Optional[f.FlowFilter] = None,
    flow_runs: Optional[f.FlowRunFilter] = None,
    task_runs: Optional[f.TaskRunFilter] = None,
    deployments: Optional[f.DeploymentFilter] = None,
) -> Q:
    """Flows matching ``flows`` with a matching run (and task run) and deployment."""
    criteria = [flow_filter_q(flows)]
    if flow_runs is not None or task_runs is not None:
        criteria.append(
            _exists(
                models.FlowRun.objects.filter(flow_id=OuterRef("pk")),
                flow_run_filter_q(flow_runs) & _task_runs_exist(task_runs),
            )
        )
    if deployments is not None:
        criteria.append(
            _exists(models.Deployment.objects.filter(flow_id=OuterRef("pk")), deployment_filter_q(deployments))
        )
    return _combine(criteria, f.Operator.and_)


def flow_runs_q(
    flows: Optional[f.FlowFilter] = None,
    flow_runs: Optional[f.FlowRunFilter] = None,
    task_runs: Optional[f.TaskRunFilter] = None,
    deployments: Optional[f.DeploymentFilter] = None,
    work_pools: Optional[f.WorkPoolFilter] = None,
    work_queues: Optional[f.WorkQueueFilter] = None,
) -> Q:
    """Flow runs matching ``flow_runs`` whose flow, task runs, deployment, pool and queue
    match the other filters."""
    criteria = [flow_run_filter_q(flow_runs), _task_runs_exist(task_runs)]
    if flows is not None:
        criteria.append(_exists(models.Flow.objects.filter(pk=OuterRef("flow_id")), flow_filter_q(flows)))
    if deployments is not None:
        # Runs whose deployment was deleted never match a deployment filter.
        criteria.append(
            _exists(
                models.Deployment.objects.filter(pk=OuterRef("deployment_id")), deployment_filter_q(deployments)
            )
        )
    criteria.append(_queue_q(work_pools, work_queues, "work_queue_id"))
    return _combine(criteria, f.Operator.and_)


def task_runs_q(
    flows: Optional[f.FlowFilter] = None,
    flow_runs: Optional[f.FlowRunFilter] = None,
    task_runs: Optional[f.TaskRunFilter] = None,
    deployments: Optional[f.DeploymentFilter] = None,
) -> Q:
    """Task runs matching ``task_runs`` whose flow run, flow and deployment match."""
    criteria = [task_run_filter_q(task_runs)]
    if flows is not None or flow_runs is not None or deployments is not None:
        run_criteria = flow_runs_q(flows=flows, flow_runs=flow_runs, deployments=deployments)
        # IN (subquery), not a correlated EXISTS: SQLite then looks the few matching runs'
        # task runs up by flow_run_id instead of scanning every task run in sort order.
        criteria.append(Q(flow_run_id__in=models.FlowRun.objects.filter(run_criteria).values("pk")))
    return _combine(criteria, f.Operator.and_)


def deployments_q(
    flows: Optional[f.FlowFilter] = None,
    flow_runs: Optional[f.FlowRunFilter] = None,
    task_runs: Optional[f.TaskRunFilter] = None,
    deployments: Optional[f.DeploymentFilter] = None,
    work_pools: Optional[f.WorkPoolFilter] = None,
    work_queues: Optional[f.WorkQueueFilter] = None,
) -> Q:
    """Deployments matching ``deployments`` whose flow, runs, pool and queue match."""
    criteria = [deployment_filter_q(deployments)]
    if flows is not None:
        criteria.append(_exists(models.Flow.objects.filter(pk=OuterRef("flow_id")), flow_filter_q(flows)))
    if flow_runs is not None or task_runs is not None:
        criteria.append(
            _exists(
                models.FlowRun.objects.filter(deployment_id=OuterRef("pk")),
                flow_run_filter_q(flow_runs) & _task_runs_exist(task_runs),
            )
        )
    criteria.append(_queue_q(work_pools, work_queues, "work_queue_id"))
    return _combine(criteria, f.Operator.and_)


_START_TIME = Coalesce("start_time", "expected_start_time")

_ORDERINGS: dict[Any, tuple[Any, ...]] = {
    FlowSort.CREATED_DESC: ("-created",),
    FlowSort.UPDATED_DESC: ("-updated",),
    FlowSort.NAME_ASC: ("name",),
    FlowSort.NAME_DESC: ("-name",),
    FlowRunSort.ID_DESC: ("-id",),
    FlowRunSort.START_TIME_ASC: (_START_TIME.asc(),),
    FlowRunSort.START_TIME_DESC: (_START_TIME.desc(),),
    FlowRunSort.EXPECTED_START_TIME_ASC: ("expected_start_time",),
    FlowRunSort.EXPECTED_START_TIME_DESC: ("-expected_start_time",),
    FlowRunSort.NAME_ASC: ("name",),
    FlowRunSort.NAME_DESC: ("-name",),
    FlowRunSort.NEXT_SCHEDULED_START_TIME_ASC: ("next_scheduled_start_time",),
    FlowRunSort.END_TIME_DESC: ("-end_time",),
    TaskRunSort.ID_DESC: ("-id",),
    TaskRunSort.EXPECTED_START_TIME_ASC: ("expected_start_time",),
    TaskRunSort.EXPECTED_START_TIME_DESC: ("-expected_start_time",),
    TaskRunSort.NAME_ASC: ("name",),
    TaskRunSort.NAME_DESC: ("-name",),
    TaskRunSort.NEXT_SCHEDULED_START_TIME_ASC: ("next_scheduled_start_time",),
    TaskRunSort.END_TIME_DESC: ("-end_time",),
    DeploymentSort.CREATED_DESC: ("-created",),
    DeploymentSort.UPDATED_DESC: ("-updated",),
    DeploymentSort.NAME_ASC: ("name",),
    DeploymentSort.NAME_DESC: ("-name",),
    LogSort.TIMESTAMP_ASC: ("timestamp",),
    LogSort.TIMESTAMP_DESC: ("-timestamp",),
    LogSort.LEVEL_ASC: ("level",),
    LogSort.LEVEL_DESC: ("-level",),
    LogSort.FLOW_RUN_ID_ASC: ("flow_run_id",),
    LogSort.FLOW_RUN_ID_DESC: ("-flow_run_id",),
    LogSort.TASK_RUN_ID_ASC: ("task_run_id",),
    LogSort.TASK_RUN_ID_DESC: ("-task_run_id",),
}


def order_by(sort: FlowSort | FlowRunSort | TaskRunSort | DeploymentSort | LogSort) -> tuple[Any, ...]:
    """The ``order_by()`` arguments of a sort option (no tie-breaker, as in the original)."""
    return _ORDERINGS[sort]


# --- Workers, artifacts, notification policies -------------------------------------


def worker_filter_q(flt: Optional[f.WorkerFilter]) -> Q:
    """Criteria of a ``WorkerFilter`` on workers."""
    if flt is None:
        return Q()
    return _combine([_time_range("last_heartbeat_time", flt.last_heartbeat_time)], flt.operator)


def artifact_filter_q(flt: Optional[f.ArtifactFilter]) -> Q:
    """Criteria of an ``ArtifactFilter`` on artifacts."""
    if flt is None:
        return Q()
    criteria = [
        _id_q(flt.id),
        _any("key", flt.key.any_ if flt.key else None),
        _like("key", flt.key.like_ if flt.key else None),
        _any("flow_run_id", flt.flow_run_id.any_ if flt.flow_run_id else None),
        _any("task_run_id", flt.task_run_id.any_ if flt.task_run_id else None),
    ]
    return _combine(criteria, flt.operator)


def artifacts_q(
    artifacts: Optional[f.ArtifactFilter] = None,
    flow_runs: Optional[f.FlowRunFilter] = None,
    task_runs: Optional[f.TaskRunFilter] = None,
) -> Q:
    """Artifacts matching ``artifacts`` whose flow run and task run match the others."""
    criteria = [artifact_filter_q(artifacts)]
    if flow_runs is not None:
        criteria.append(_exists(models.FlowRun.objects.filter(pk=OuterRef("flow_run_id")), flow_run_filter_q(flow_runs)))
    if task_runs is not None:
        criteria.append(_exists(models.TaskRun.objects.filter(pk=OuterRef("task_run_id")), task_run_filter_q(task_runs)))
    return _combine(criteria, f.Operator.and_)


def flow_run_notification_policy_filter_q(flt: Optional[f.FlowRunNotificationPolicyFilter]) -> Q:
    """Criteria of a ``FlowRunNotificationPolicyFilter`` on notification policies."""
    if flt is None or flt.is_active is None or flt.is_active.eq_ is None:
        return Q()
    return Q(is_active=flt.is_active.eq_)
