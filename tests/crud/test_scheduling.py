"""``api.crud.scheduling``: auto-scheduled runs (idempotent, dropped when the schedule goes
off, inserted once under a race) and the scheduler's choice of deployments needing runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from api import models
from api.crud import deployments, scheduling
from tests.fixtures.rows import new_deployment, new_flow_run, schedule_runs, state

pytestmark = pytest.mark.django_db

HOURLY = {"interval": 3600}


def test_scheduling_twice_fills_no_slot_twice_and_switching_off_drops_future_runs():
    deployment = new_deployment(schedule=HOURLY)
    start = timezone.now()
    runs = schedule_runs(deployment, start_time=start, end_time=start + dt.timedelta(hours=5), min_runs=3, max_runs=5)
    assert runs and all(run.auto_scheduled and run.state_type == "SCHEDULED" for run in runs)
    assert schedule_runs(deployment, start_time=start, end_time=start + dt.timedelta(hours=5), min_runs=3, max_runs=5) == []
    manual = new_flow_run(deployment.flow, state("SCHEDULED", state_details={"scheduled_time": start.isoformat()}), deployment_id=deployment.id)

    deployments.set_schedule_active(deployment.id, False)
    remaining = models.FlowRun.objects.filter(deployment_id=deployment.id)
    assert list(remaining.values_list("id", flat=True)) == [manual.id]


def test_the_scheduler_picks_active_deployments_short_of_runs():
    now = timezone.now()
    short = new_deployment(schedule=HOURLY)
    full = new_deployment(schedule=HOURLY)
    schedule_runs(full, start_time=now, end_time=now + dt.timedelta(hours=10), min_runs=5, max_runs=10)
    new_deployment(schedule=HOURLY, is_schedule_active=False)
    new_deployment()  # no schedule

    needing = scheduling.deployment_ids_needing_runs(now, min_runs=3, min_scheduled_time=dt.timedelta(hours=1), limit=10)
    assert needing == [short.id]
    recent = scheduling.recently_updated_deployment_ids(now - dt.timedelta(minutes=1), limit=10)
    assert set(recent) == {short.id, full.id}
    lower, higher = sorted([short.id, full.id])
    assert scheduling.recently_updated_deployment_ids(now - dt.timedelta(minutes=1), limit=10, after_id=lower) == [higher]


def test_inserting_the_same_dates_twice_creates_each_run_once():
    deployment = new_deployment(schedule=HOURLY)
    now = timezone.now()
    dates = [now + dt.timedelta(hours=hours) for hours in (1, 2)]
    first = scheduling.insert_scheduled_runs(deployment, dates, now)
    again = scheduling.insert_scheduled_runs(deployment, dates + [now + dt.timedelta(hours=3)], now)
    assert len(first) == 2 and len(again) == 1
    runs = models.FlowRun.objects.filter(deployment_id=deployment.id)
    assert runs.count() == 3
    assert all(run.auto_scheduled and run.state_type == "SCHEDULED" for run in runs)
    assert all(scheduling.AUTO_SCHEDULED_TAG in run.tags for run in runs)
