"""Which deployments the scheduler services should generate runs for.

Both queries page by deployment id (keyset pagination: pass the last id of the previous
page as ``after_id``), so a pass costs one query per page whatever the table size.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from api.models import Deployment, FlowRun


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
    return list(deployments.filter(due).values_list("id", flat=True)[:limit])


def recently_updated_deployment_ids(
    since: dt.datetime, limit: int, after_id: UUID | None = None
) -> list[UUID]:
    """Active scheduled deployments created or changed at or after ``since``."""
    deployments = _scheduled_deployments(after_id).filter(updated__gte=since)
    return list(deployments.values_list("id", flat=True)[:limit])
