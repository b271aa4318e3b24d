"""Deployments: upsert with work-queue resolution, read, filter, update, delete, runs
from a deployment, and the response shape (``DeploymentResponse``).

The auto-scheduled runs generated from their schedules are ``api.crud.scheduling``'s.
"""

from __future__ import annotations

import copy
from typing import Any, Optional
from uuid import UUID

import jsonschema
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from api import models
from api.crud import flow_runs as flow_runs_crud
from api.crud import work_pools, work_queues
from api.crud.filters import NO_FILTERS, RunFilterSet, deployments_q, order_by
from api.crud.paging import page
from api.crud.lookups import require, require_some
from api.errors import ConflictError
from api.schemas import actions
from api.schemas.responses import DeploymentResponse
from api.schemas.sorting import DeploymentSort
from api.schemas.states import StateType

DEPLOYMENT_NOT_FOUND = "Deployment not found"
# The original's update route ends its message with a full stop.
DEPLOYMENT_TO_UPDATE_NOT_FOUND = "Deployment not found."


def deployments_with_queue() -> QuerySet[models.Deployment]:
    """Deployments with the queue and pool their responses name."""
    return models.Deployment.objects.select_related("work_queue__work_pool")


def to_schema(deployment: models.Deployment) -> DeploymentResponse:
    """The API shape of a row loaded by ``deployments_with_queue()``: queue and pool
    names come from the linked queue when there is one."""
    values = {field.attname: getattr(deployment, field.attname) for field in models.Deployment._meta.concrete_fields}
    values["work_pool_name"] = None
    if deployment.work_queue is not None:
        values["work_queue_name"] = deployment.work_queue.name
        values["work_pool_name"] = deployment.work_queue.work_pool.name
    return DeploymentResponse.model_validate(values)


def to_schemas(rows: list[models.Deployment]) -> list[DeploymentResponse]:
    """``to_schema`` for a page of deployments."""
    return [to_schema(row) for row in rows]


# --- Work-queue resolution -------------------------------------------------------------


def _pool_for_deployment(pool_name: str) -> models.WorkPool:
    if pool_name == work_pools.DEFAULT_AGENT_WORK_POOL_NAME:
        return work_pools.get_or_create_default_agent_pool()
    return work_pools.get_work_pool(pool_name)


def _ensure_queue(pool: models.WorkPool, name: str) -> models.WorkQueue:
    """The queue ``name`` of ``pool``, created (last in priority) when missing."""
    queue = work_queues.read_pool_queue(pool, name)
    if queue is not None:
        return queue
    try:
        return work_queues.create_work_queue(actions.WorkQueueCreate(name=name), pool=pool)
    except ConflictError:
        # Created by a concurrent request.
        return models.WorkQueue.objects.get(work_pool=pool, name=name)


def resolve_work_queue(pool_name: Optional[str], queue_name: Optional[str]) -> Optional[models.WorkQueue]:
    """The queue a deployment targets.

    Pool and queue: that queue of that pool (created if missing). Pool only: the pool's
    default queue. Queue only: that queue of ``default-agent-pool`` (both created if
    missing). Neither: no queue. A named pool that does not exist is a ``NotFoundError``.
    """
    if pool_name:
        pool = _pool_for_deployment(pool_name)
        if queue_name:
            return _ensure_queue(pool, queue_name)
        return pool.default_queue
    if queue_name:
        return _ensure_queue(work_pools.get_or_create_default_agent_pool(), queue_name)
    return None


def check_infra_overrides(pool: models.WorkPool, infra_overrides: dict[str, Any], verb: str = "creating") -> None:
    """Refuse overrides that do not satisfy the pool's ``variables`` schema (``ConflictError``).

    A variable with a default is not required, even when the schema lists it so.
    """
    schema = copy.deepcopy((pool.base_job_template or {}).get("variables"))
    if not schema:
        return
    required = schema.get("required")
    properties = schema.get("properties") or {}
    if required:
        schema["required"] = [name for name in required if "default" not in properties.get(name, {})]
    try:
        jsonschema.validate(infra_overrides, schema)
    except jsonschema.ValidationError as exc:
        raise ConflictError(f"Error {verb} deployment: {exc.message}") from None
    except jsonschema.SchemaError as exc:
        raise ConflictError(f"Error {verb} deployment: invalid variables schema: {exc.message}") from None


def _check_block_documents(storage_id: Optional[UUID], infrastructure_id: Optional[UUID], verb: str) -> None:
    candidates = (("infrastructure", infrastructure_id), ("storage", storage_id))
    wanted = {kind: block_id for kind, block_id in candidates if block_id}
    if not wanted:
        return
    found = set(models.BlockDocument.objects.filter(pk__in=wanted.values()).values_list("pk", flat=True))
    for kind, block_id in wanted.items():
        if block_id not in found:
            raise ConflictError(
                f"Error {verb} deployment. Could not find {kind} block with id: {block_id}. This "
                "usually occurs when applying a deployment specification that was built against "
                "a different Prefect database / workspace.",
            )


# --- Create, read, update, delete ----------------------------------------------------


def _column_values(values: dict[str, Any]) -> dict[str, Any]:
    """Request values (dumped in JSON mode) as model columns."""
    return {key: value for key, value in values.items() if key != "work_pool_name"}


def create_deployment(deployment: actions.DeploymentCreate) -> tuple[models.Deployment, bool]:
    """Insert the deployment, or update the one with the same flow and name (only the
    keys sent are replaced). The flag says whether it was inserted.

    Side effects: its work queue is resolved (and created), a queue of the same name is
    ensured in ``default-agent-pool``, and its auto-scheduled runs that have not started
    are deleted (the scheduler makes new ones).
    """
    sent = deployment.model_dump(mode="json", exclude_unset=True)
    pool_name = deployment.work_pool_name
    if pool_name and pool_name != work_pools.DEFAULT_AGENT_WORK_POOL_NAME:
        check_infra_overrides(work_pools.get_work_pool(pool_name), deployment.infra_overrides)
    _check_block_documents(deployment.storage_document_id, deployment.infrastructure_document_id, "creating")
    if not models.Flow.objects.filter(pk=deployment.flow_id).exists():
        raise IntegrityError(f"Flow {deployment.flow_id} does not exist.")

    queue = resolve_work_queue(pool_name, deployment.work_queue_name)
    placement = {} if queue is None else {"work_queue_id": queue.id, "work_queue_name": queue.name}
    key = {"flow_id": deployment.flow_id, "name": deployment.name}

    row = models.Deployment.objects.select_for_update().filter(**key).first()
    created = False
    if row is None:
        columns = _column_values(deployment.model_dump(mode="json", exclude=set(key)))
        new = models.Deployment(**key, **{**columns, **placement})
        try:
            with transaction.atomic():
                new.save(force_insert=True)
            row, created = new, True
        except IntegrityError:
            # A concurrent request inserted it first: update that row instead.
            row = models.Deployment.objects.select_for_update().get(**key)
    if not created:
        for name, value in {**_column_values(sent), **placement}.items():
            if name not in key:
                setattr(row, name, value)
        row.save()

    _after_change(row)
    return read_deployment(row.id) or row, created


def _after_change(deployment: models.Deployment) -> None:
    """Keep the agent-era queue of the same name and drop stale auto-scheduled runs."""
    if deployment.work_queue_name:
        _ensure_queue(work_pools.get_or_create_default_agent_pool(), deployment.work_queue_name)
    delete_auto_scheduled_runs(deployment.id)


def read_deployment(deployment_id: UUID) -> Optional[models.Deployment]:
    """The deployment with this id (queue and pool loaded), or None."""
    return deployments_with_queue().filter(pk=deployment_id).first()


def get_deployment(deployment_id: UUID) -> models.Deployment:
    """The deployment with this id (queue and pool loaded); ``NotFoundError`` if missing."""
    return require(read_deployment(deployment_id), DEPLOYMENT_NOT_FOUND)


def get_deployment_by_name(flow_name: str, deployment_name: str) -> models.Deployment:
    """The deployment ``deployment_name`` of the flow ``flow_name``; ``NotFoundError`` if missing."""
    deployment = deployments_with_queue().filter(flow__name=flow_name, name=deployment_name).first()
    return require(deployment, DEPLOYMENT_NOT_FOUND)


def read_deployments(
    filters: RunFilterSet = NO_FILTERS,
    sort: DeploymentSort = DeploymentSort.NAME_ASC,
    limit: Optional[int] = None,
    offset: int = 0,
) -> list[models.Deployment]:
    """Deployments matching the filters, sorted, one page (one query)."""
    return page(deployments_with_queue().filter(deployments_q(filters)).order_by(*order_by(sort)), offset, limit)


def count_deployments(filters: RunFilterSet = NO_FILTERS) -> int:
    """How many deployments match the filters."""
    return models.Deployment.objects.filter(deployments_q(filters)).count()


def update_deployment(deployment_id: UUID, update: actions.DeploymentUpdate) -> None:
    """Write the keys sent; ``NotFoundError`` if there is no such deployment.

    A new pool or queue name re-resolves the work queue; auto-scheduled runs that have
    not started are deleted.
    """
    deployment = models.Deployment.objects.select_for_update().filter(pk=deployment_id).first()
    deployment = require(deployment, DEPLOYMENT_TO_UPDATE_NOT_FOUND)
    sent = update.model_dump(mode="json", exclude_unset=True)
    values = _column_values(sent)
    if "work_pool_name" in sent or "work_queue_name" in sent:
        pool_name = sent.get("work_pool_name")
        queue_name = sent.get("work_queue_name")
        if pool_name and pool_name != work_pools.DEFAULT_AGENT_WORK_POOL_NAME:
            pool = work_pools.get_work_pool(pool_name)
            check_infra_overrides(pool, values.get("infra_overrides", deployment.infra_overrides), "updating")
        queue = resolve_work_queue(pool_name, queue_name)
        values["work_queue_id"] = queue.id if queue is not None else None
        values["work_queue_name"] = queue.name if queue is not None else None
    _check_block_documents(update.storage_document_id, update.infrastructure_document_id, "updating")
    for key, value in values.items():
        setattr(deployment, key, value)
    deployment.save()
    _after_change(deployment)


def delete_deployment(deployment_id: UUID) -> None:
    """Delete the deployment and all its runs still scheduled; ``NotFoundError`` if there is none.

    Runs that already started keep their (now dangling) ``deployment_id``.
    """
    require_some(models.Deployment.objects.filter(pk=deployment_id).exists(), DEPLOYMENT_NOT_FOUND)
    models.FlowRun.objects.filter(deployment_id=deployment_id, state_type=StateType.SCHEDULED.value).delete()
    models.Deployment.objects.filter(pk=deployment_id).delete()


def set_schedule_active(deployment_id: UUID, active: bool) -> None:
    """Switch the schedule on or off (off also drops its future auto-scheduled runs); ``NotFoundError``
    if there is no such deployment."""
    updated = models.Deployment.objects.filter(pk=deployment_id).update(
        is_schedule_active=active, updated=timezone.now()
    )
    require_some(updated, DEPLOYMENT_NOT_FOUND)
    if not active:
        delete_auto_scheduled_runs(deployment_id)


def delete_auto_scheduled_runs(deployment_id: UUID) -> int:
    """Delete the deployment's auto-scheduled runs that are still scheduled."""
    deleted, _ = models.FlowRun.objects.filter(
        deployment_id=deployment_id, auto_scheduled=True, state_type=StateType.SCHEDULED.value
    ).delete()
    return deleted


def work_queues_for_deployment(deployment: models.Deployment) -> list[models.WorkQueue]:
    """Legacy tag-filter queues that would pick up the deployment's runs: the queue's tags
    are a subset of the deployment's and it lists the deployment (or lists none)."""
    matches = []
    for queue in models.WorkQueue.objects.order_by("name"):
        queue_filter = queue.filter or {}
        tags = queue_filter.get("tags") or []
        deployment_ids = queue_filter.get("deployment_ids") or []
        if set(tags) <= set(deployment.tags) and (
            not deployment_ids or str(deployment.id) in {str(item) for item in deployment_ids}
        ):
            matches.append(queue)
    return matches


# --- Runs from deployments ---------------------------------------------------------------


def create_flow_run_from_deployment(
    deployment: models.Deployment, flow_run: actions.DeploymentFlowRunCreate, api_version: Optional[str] = None
) -> tuple[models.FlowRun, bool]:
    """A run of the deployment: its parameters overlaid by the request's, tags united, its
    infrastructure unless the request names one, and its work queue. The flag says
    whether the run was inserted (an idempotency key may return an existing one)."""
    create = actions.FlowRunCreate(
        flow_id=deployment.flow_id,
        deployment_id=deployment.id,
        state=flow_run.state,
        name=flow_run.name,
        parameters={**deployment.parameters, **flow_run.parameters},
        context=flow_run.context,
        infrastructure_document_id=flow_run.infrastructure_document_id or deployment.infrastructure_document_id,
        empirical_policy=flow_run.empirical_policy,
        tags=sorted(set(deployment.tags) | set(flow_run.tags)),
        idempotency_key=flow_run.idempotency_key,
        parent_task_run_id=flow_run.parent_task_run_id,
    )
    run, created = flow_runs_crud.create_flow_run(create, api_version=api_version)
    if created:
        models.FlowRun.objects.filter(pk=run.id).update(
            work_queue_name=deployment.work_queue_name, work_queue_id=deployment.work_queue_id
        )
        run = flow_runs_crud.read_flow_run(run.id) or run
    return run, created
