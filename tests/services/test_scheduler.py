"""The schedulers: active deployment schedules get their future runs, once."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from api import models
from api.crud import deployments
from api.schemas.actions import DeploymentCreate
from api.services.scheduler import RecentDeploymentsScheduler, Scheduler

HOURLY = {"interval": 3600, "anchor_date": "2020-01-01T00:00:00+00:00", "timezone": "UTC"}
EVERY_MINUTE = {"cron": "* * * * *", "timezone": "UTC"}


@pytest.fixture
def make_deployment(flow: models.Flow) -> Callable[..., models.Deployment]:
    """Create (upsert) a deployment of ``flow`` through crud."""

    def make(schedule: dict[str, Any] | None = HOURLY, **fields: Any) -> models.Deployment:
        body = {"name": f"dep-{uuid.uuid4().hex[:8]}", "flow_id": flow.id, "schedule": schedule, **fields}
        row, _ = deployments.create_deployment(DeploymentCreate.model_validate(body))
        return row

    return make


@pytest.fixture
def runs_of(client: Any) -> Callable[[models.Deployment], list[dict[str, Any]]]:
    """The deployment's runs as ``POST /api/flow_runs/filter`` returns them, by start time."""

    def read(deployment: models.Deployment) -> list[dict[str, Any]]:
        response = client.post(
            "/api/flow_runs/filter",
            {"flow_runs": {"deployment_id": {"any_": [str(deployment.id)]}}, "sort": "EXPECTED_START_TIME_ASC"},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        return response.json()

    return read


def parse(value: str) -> dt.datetime:
    """An API datetime."""
    return dt.datetime.fromisoformat(value)


def test_hourly_deployment_gets_three_scheduled_runs(make_deployment, runs_of) -> None:
    deployment = make_deployment(tags=["etl"], parameters={"x": 1}, work_queue_name="q1")
    started = timezone.now()

    Scheduler().run_once()

    runs = runs_of(deployment)
    assert len(runs) == 3
    times = [parse(run["expected_start_time"]) for run in runs]
    assert started <= times[0] <= started + dt.timedelta(hours=1)
    assert [b - a for a, b in zip(times, times[1:])] == [dt.timedelta(hours=1)] * 2
    for run, at in zip(runs, times):
        assert (run["state_type"], run["state_name"]) == ("SCHEDULED", "Scheduled")
        assert run["state"]["message"] == "Flow run scheduled"
        assert parse(run["state"]["state_details"]["scheduled_time"]) == at
        assert run["auto_scheduled"] is True
        assert run["tags"] == ["auto-scheduled", "etl"]
        assert run["parameters"] == {"x": 1}
        assert run["work_queue_name"] == "q1"
        assert run["idempotency_key"] == f"scheduled {deployment.id} {at.isoformat()}"


def test_a_second_pass_adds_nothing(make_deployment, runs_of) -> None:
    deployment = make_deployment()

    Scheduler().run_once()
    first = {run["id"] for run in runs_of(deployment)}
    Scheduler().run_once()
    RecentDeploymentsScheduler().run_once()

    assert {run["id"] for run in runs_of(deployment)} == first


def test_every_minute_schedule_is_covered_for_an_hour(make_deployment, runs_of) -> None:
    deployment = make_deployment(EVERY_MINUTE)
    started = timezone.now()

    Scheduler().run_once()

    times = [parse(run["expected_start_time"]) for run in runs_of(deployment)]
    assert 60 <= len(times) <= 62
    assert times[-1] >= started + dt.timedelta(hours=1)


def test_max_runs_caps_one_pass(make_deployment, runs_of, settings) -> None:
    settings.PREFECT_API_SERVICES_SCHEDULER_MAX_RUNS = 5
    deployment = make_deployment(EVERY_MINUTE)

    Scheduler().run_once()

    assert len(runs_of(deployment)) == 5


def test_inactive_and_unscheduled_deployments_get_no_runs(make_deployment, runs_of) -> None:
    inactive = make_deployment(is_schedule_active=False)
    unscheduled = make_deployment(None)

    Scheduler().run_once()

    assert runs_of(inactive) == [] and runs_of(unscheduled) == []


def test_a_deployment_short_of_runs_is_topped_up(make_deployment, runs_of) -> None:
    deployment = make_deployment()
    Scheduler().run_once()
    models.FlowRun.objects.filter(id=runs_of(deployment)[-1]["id"]).delete()

    Scheduler().run_once()

    assert len(runs_of(deployment)) == 3


def test_deployments_are_read_in_pages(make_deployment, runs_of, settings) -> None:
    settings.PREFECT_API_SERVICES_SCHEDULER_DEPLOYMENT_BATCH_SIZE = 1
    created = [make_deployment() for _ in range(3)]

    Scheduler().run_once()

    assert [len(runs_of(deployment)) for deployment in created] == [3, 3, 3]


def test_a_broken_schedule_does_not_stop_the_others(make_deployment, runs_of) -> None:
    broken = make_deployment()
    models.Deployment.objects.filter(id=broken.id).update(schedule={"interval": "not a number"})
    healthy = make_deployment()

    Scheduler().run_once()

    assert runs_of(broken) == []
    assert len(runs_of(healthy)) == 3


def test_recent_scheduler_only_picks_up_recently_changed_deployments(make_deployment, runs_of) -> None:
    fresh = make_deployment()
    stale = make_deployment()
    models.Deployment.objects.filter(id=stale.id).update(updated=timezone.now() - dt.timedelta(hours=1))

    RecentDeploymentsScheduler().run_once()

    assert len(runs_of(fresh)) == 3
    assert runs_of(stale) == []
