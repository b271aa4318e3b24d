"""Deployments: upsert with work-queue resolution, read, filter, update, delete, and the
auto-scheduled runs generated from their schedules.

``schedule_runs()`` is shared by ``POST /deployments/{id}/schedule`` and the scheduler
services. It inserts runs directly (no orchestration), each with the idempotency key
``scheduled {deployment_id} {date}``: the unique (flow, idempotency key) constraint makes
a schedule slot impossible to fill twice, however many schedulers run.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any, Optional
from uuid import UUID, uuid4

import jsonschema
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from pydantic import TypeAdapter

from api import models
from api.crud import flow_runs as flow_runs_crud
from api.crud import work_pools, work_queues
from api.crud.filters import deployments_q, order_by
from api.errors import ConflictError
from api.schemas import actions, filters
from api.schemas.core import FlowRunPolicy
from api.schemas.schedules import Schedule
from api.schemas.sorting import DeploymentSort
from api.schemas.states import StateDetails, StateType
from api.utilities.names import generate_slug

_SCHEDULE = TypeAdapter(Schedule)
AUTO_SCHEDULED_TAG = "auto-scheduled"
SCHEDULED_MESSAGE = "Flow run scheduled"


def deployments_with_queue() -> QuerySet[models.Deployment]:
    """Deployments with the queue and pool their responses name."""
    return models.Deployment.objects.select_related("work_queue__work_pool")


def to_response_values(deployment: models.Deployment) -> dict[str, Any]:
    """The ``DeploymentResponse`` fields of a row loaded by ``deployments_with_queue()``:
    queue and pool names come from the linked queue when there is one."""
    values = {field.attname: getattr(deployment, field.attname) for field in models.Deployment._meta.concrete_fields}
    values["work_pool_name"] = None
    if deployment.work_queue is not None:
        values["work_queue_name"] = deployment.work_queue.name
        values["work_pool_name"] = deployment.work_queue.work_pool.name
    return values


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


def read_deployment_by_name(flow_name: str, deployment_name: str) -> Optional[models.Deployment]:
    """The deployment ``deployment_name`` of the flow ``flow_name``, or None."""
    return deployments_with_queue().filter(flow__name=flow_name, name=deployment_name).first()


def read_deployments(
    flows: Optional[filters.FlowFilter] = None,
    flow_runs: Optional[filters.FlowRunFilter] = None,
    task_runs: Optional[filters.TaskRunFilter] = None,
    deployments: Optional[filters.DeploymentFilter] = None,
    work_pools: Optional[filters.WorkPoolFilter] = None,
    work_queues: Optional[filters.WorkQueueFilter] = None,
    sort: DeploymentSort = DeploymentSort.NAME_ASC,
    limit: Optional[int] = None,
    offset: int = 0,
) -> list[models.Deployment]:
    """Deployments matching the filters, sorted, one page (one query)."""
    queryset = deployments_with_queue().filter(
        deployments_q(flows, flow_runs, task_runs, deployments, work_pools, work_queues)
    )
    queryset = queryset.order_by(*order_by(sort))
    end = None if limit is None else offset + limit
    return list(queryset[offset:end])


def count_deployments(
    flows: Optional[filters.FlowFilter] = None,
    flow_runs: Optional[filters.FlowRunFilter] = None,
    task_runs: Optional[filters.TaskRunFilter] = None,
    deployments: Optional[filters.DeploymentFilter] = None,
    work_pools: Optional[filters.WorkPoolFilter] = None,
    work_queues: Optional[filters.WorkQueueFilter] = None,
) -> int:
    """How many deployments match the filters."""
    criteria = deployments_q(flows, flow_runs, task_runs, deployments, work_pools, work_queues)
    return models.Deployment.objects.filter(criteria).count()


def update_deployment(deployment_id: UUID, update: actions.DeploymentUpdate) -> bool:
    """Write the keys sent; False if there is no such deployment.

    A new pool or queue name re-resolves the work queue; auto-scheduled runs that have
    not started are deleted.
    """
    deployment = models.Deployment.objects.select_for_update().filter(pk=deployment_id).first()
    if deployment is None:
        return False
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
    return True


def delete_deployment(deployment_id: UUID) -> bool:
    """Delete the deployment and all its runs still scheduled; False if there is none.

    Runs that already started keep their (now dangling) ``deployment_id``.
    """
    if not models.Deployment.objects.filter(pk=deployment_id).exists():
        return False
    models.FlowRun.objects.filter(deployment_id=deployment_id, state_type=StateType.SCHEDULED.value).delete()
    models.Deployment.objects.filter(pk=deployment_id).delete()
    return True


def set_schedule_active(deployment_id: UUID, active: bool) -> bool:
    """Switch the schedule on or off (off also drops its future auto-scheduled runs)."""
    updated = models.Deployment.objects.filter(pk=deployment_id).update(
        is_schedule_active=active, updated=timezone.now()
    )
    if updated and not active:
        delete_auto_scheduled_runs(deployment_id)
    return updated > 0


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


def schedule_runs(
    deployment_id: UUID,
    start_time: Optional[dt.datetime] = None,
    end_time: Optional[dt.datetime] = None,
    min_time: Optional[dt.timedelta] = None,
    min_runs: Optional[int] = None,
    max_runs: Optional[int] = None,
) -> list[UUID]:
    """Insert the deployment's next auto-scheduled runs; returns the ids inserted.

    Dates come from the schedule from ``start_time`` (now) to ``end_time``, stopping once
    there are ``min_runs`` of them covering at least ``min_time``, and never more than
    ``max_runs``; defaults are the scheduler settings. Slots already filled are skipped
    (idempotency keys), inactive or unscheduled deployments get nothing.
    """
    now = timezone.now()
    start_time = start_time or now
    end_time = end_time or start_time + dt.timedelta(
        seconds=settings.PREFECT_API_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME
    )
    if min_time is None:
        min_time = dt.timedelta(seconds=settings.PREFECT_API_SERVICES_SCHEDULER_MIN_SCHEDULED_TIME)
    min_runs = settings.PREFECT_API_SERVICES_SCHEDULER_MIN_RUNS if min_runs is None else min_runs
    max_runs = settings.PREFECT_API_SERVICES_SCHEDULER_MAX_RUNS if max_runs is None else max_runs

    deployment = models.Deployment.objects.filter(pk=deployment_id).first()
    if deployment is None or deployment.schedule is None or not deployment.is_schedule_active:
        return []
    schedule = _SCHEDULE.validate_python(deployment.schedule)
    dates: list[dt.datetime] = []
    for date in schedule.get_dates(n=max_runs, start=start_time, end=end_time):
        dates.append(date)
        if len(dates) >= min_runs and date >= start_time + min_time:
            break
    return insert_scheduled_runs(deployment, dates, now)


def insert_scheduled_runs(deployment: models.Deployment, dates: list[dt.datetime], now: dt.datetime) -> list[UUID]:
    """Insert one auto-scheduled run per date (conflicting slots ignored), then give the
    inserted ones their Scheduled state; all in bulk, bypassing orchestration."""
    if not dates:
        return []
    policy = FlowRunPolicy().model_dump(mode="json")
    tags = [AUTO_SCHEDULED_TAG, *deployment.tags]
    runs = [
        models.FlowRun(
            id=uuid4(),
            name=generate_slug(),
            flow_id=deployment.flow_id,
            deployment_id=deployment.id,
            work_queue_name=deployment.work_queue_name,
            work_queue_id=deployment.work_queue_id,
            parameters=deployment.parameters,
            infrastructure_document_id=deployment.infrastructure_document_id,
            idempotency_key=f"scheduled {deployment.id} {date.isoformat()}",
            tags=tags,
            auto_scheduled=True,
            state_type=StateType.SCHEDULED.value,
            state_name="Scheduled",
            expected_start_time=date,
            next_scheduled_start_time=date,
            empirical_policy=policy,
            created=now,
            updated=now,
        )
        for date in dates
    ]
    batch_size = settings.PREFECT_API_SERVICES_SCHEDULER_INSERT_BATCH_SIZE
    models.FlowRun.objects.bulk_create(runs, batch_size=batch_size, ignore_conflicts=True)
    # Conflicting rows were skipped; the fresh ids that exist now are the inserted ones.
    inserted = set(models.FlowRun.objects.filter(pk__in=[run.id for run in runs]).values_list("pk", flat=True))
    new_runs = [run for run in runs if run.id in inserted]
    states = [
        models.FlowRunState(
            flow_run_id=run.id,
            type=StateType.SCHEDULED.value,
            name="Scheduled",
            timestamp=now,
            message=SCHEDULED_MESSAGE,
            state_details=StateDetails(scheduled_time=run.next_scheduled_start_time).model_dump(mode="json"),
            created=now,
            updated=now,
        )
        for run in new_runs
    ]
    models.FlowRunState.objects.bulk_create(states, batch_size=batch_size)
    for run, state in zip(new_runs, states):
        run.state_id = state.id
    models.FlowRun.objects.bulk_update(new_runs, ["state"], batch_size=batch_size)
    return [run.id for run in new_runs]
