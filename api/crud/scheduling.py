"""Deployment scheduling: which deployments need runs, and the auto-scheduled runs
generated from their schedules.

The two deployment queries page by deployment id (keyset pagination: pass the last id of
the previous page as ``after_id``), so a pass costs one query per page whatever the
table size.

``schedule_runs()`` is shared by ``POST /deployments/{id}/schedule`` and the scheduler
services. It inserts runs directly (no orchestration), each with the idempotency key
``scheduled {deployment_id} {date}``: the unique (flow, idempotency key) constraint makes
a schedule slot impossible to fill twice, however many schedulers run.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional
from uuid import UUID

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from pydantic import TypeAdapter

from api.crud.paging import page
from api.models import Deployment, FlowRun, FlowRunState
from api.schemas.core import FlowRunPolicy
from api.schemas.schedules import Schedule
from api.schemas.states import StateDetails, StateType
from api.utilities.ids import new_id
from api.utilities.names import generate_slug

_SCHEDULE = TypeAdapter(Schedule)
AUTO_SCHEDULED_TAG = "auto-scheduled"
SCHEDULED_MESSAGE = "Flow run scheduled"


def _scheduled_deployments(after_id: UUID | None) -> QuerySet[Deployment]:
    deployments = Deployment.objects.filter(is_schedule_active=True, schedule__isnull=False)
    if after_id is not None:
        deployments = deployments.filter(id__gt=after_id)
    return deployments.order_by("id")


def deployment_ids_needing_runs(
    now: dt.datetime,
    min_runs: int,
    min_scheduled_time: dt.timedelta,
    limit: int,
    after_id: UUID | None = None,
) -> list[UUID]:
    """Active scheduled deployments with too few future auto-scheduled runs.

    A deployment needs runs when it has fewer than ``min_runs`` auto-scheduled runs due at
    or after ``now``, or when the last of them is due before ``now + min_scheduled_time``.
    """
    future_runs = FlowRun.objects.filter(
        deployment_id=OuterRef("id"),
        state_type="SCHEDULED",
        auto_scheduled=True,
        next_scheduled_start_time__gte=now,
    )
    run_count = (
        future_runs.order_by().values("deployment_id").annotate(n=Count("id")).values("n")
    )
    last_run = future_runs.order_by("-next_scheduled_start_time").values("next_scheduled_start_time")[:1]
    deployments = _scheduled_deployments(after_id).annotate(
        future_count=Coalesce(Subquery(run_count, output_field=IntegerField()), Value(0)),
        last_scheduled=Subquery(last_run),
    )
    due = Q(future_count__lt=min_runs) | Q(last_scheduled__isnull=True) | Q(
        last_scheduled__lt=now + min_scheduled_time
    )
    return page(deployments.filter(due).values_list("id", flat=True), limit=limit)


def recently_updated_deployment_ids(
    since: dt.datetime, limit: int, after_id: UUID | None = None
) -> list[UUID]:
    """Active scheduled deployments created or changed at or after ``since``."""
    deployments = _scheduled_deployments(after_id).filter(updated__gte=since)
    return page(deployments.values_list("id", flat=True), limit=limit)


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

    deployment = Deployment.objects.filter(pk=deployment_id).first()
    if deployment is None or deployment.schedule is None or not deployment.is_schedule_active:
        return []
    schedule = _SCHEDULE.validate_python(deployment.schedule)
    dates: list[dt.datetime] = []
    for date in schedule.get_dates(n=max_runs, start=start_time, end=end_time):
        dates.append(date)
        if len(dates) >= min_runs and date >= start_time + min_time:
            break
    return insert_scheduled_runs(deployment, dates, now)


def insert_scheduled_runs(deployment: Deployment, dates: list[dt.datetime], now: dt.datetime) -> list[UUID]:
    """Insert one auto-scheduled run per date (conflicting slots ignored), then give the
    inserted ones their Scheduled state; all in bulk, bypassing orchestration."""
    if not dates:
        return []
    policy = FlowRunPolicy().model_dump(mode="json")
    tags = [AUTO_SCHEDULED_TAG, *deployment.tags]
    runs = [
        FlowRun(
            id=new_id(),
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
    FlowRun.objects.bulk_create(runs, batch_size=batch_size, ignore_conflicts=True)
    # Conflicting rows were skipped; the fresh ids that exist now are the inserted ones.
    inserted = set(FlowRun.objects.filter(pk__in=[run.id for run in runs]).values_list("pk", flat=True))
    new_runs = [run for run in runs if run.id in inserted]
    states = [
        FlowRunState(
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
    FlowRunState.objects.bulk_create(states, batch_size=batch_size)
    for run, state in zip(new_runs, states):
        run.state_id = state.id
    FlowRun.objects.bulk_update(new_runs, ["state"], batch_size=batch_size)
    return [run.id for run in new_runs]
