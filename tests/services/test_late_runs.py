"""MarkLateRuns: overdue scheduled runs become ``Late``, once, and nothing else moves."""

from __future__ import annotations

import datetime as dt
import textwrap

from api import orchestration
from api.schemas.base import format_datetime
from api.schemas.states import StateCreate
from api.services.late_runs import MarkLateRuns
from tests.fixtures.rows import ago, from_now, state
from tests.fixtures.processes import race, run_django_script


def scheduled(at: dt.datetime, name: str = "Scheduled") -> StateCreate:
    """A proposed SCHEDULED state due at ``at``."""
    return state("SCHEDULED", name=name, state_details={"scheduled_time": at.isoformat()})


def test_overdue_run_is_marked_late_and_keeps_its_scheduled_time(make_flow_run, read_run) -> None:
    due = ago(hours=1)
    run = make_flow_run(scheduled(due))

    MarkLateRuns().run_once()

    body = read_run("flow", run.id)
    assert body["state_type"] == "SCHEDULED"
    assert body["state_name"] == "Late"
    assert body["state"]["state_details"]["scheduled_time"] == format_datetime(due)
    assert body["next_scheduled_start_time"] == format_datetime(due)


def test_runs_not_overdue_or_not_plainly_scheduled_are_left_alone(make_flow_run, read_run) -> None:
    runs = {
        "future": make_flow_run(scheduled(from_now(hours=1))),
        # Inside the 5 s grace period of PREFECT_API_SERVICES_LATE_RUNS_AFTER_SECONDS.
        "just due": make_flow_run(scheduled(ago(seconds=1))),
        "retrying": make_flow_run(scheduled(ago(hours=1), name="AwaitingRetry")),
        "running": make_flow_run(state("RUNNING")),
    }

    MarkLateRuns().run_once()

    names = {label: read_run("flow", run.id)["state_name"] for label, run in runs.items()}
    assert names == {"future": "Scheduled", "just due": "Scheduled", "retrying": "AwaitingRetry", "running": "Running"}


def test_grace_period_follows_the_setting(make_flow_run, read_run, settings) -> None:
    settings.PREFECT_API_SERVICES_LATE_RUNS_AFTER_SECONDS = 0
    run = make_flow_run(scheduled(ago(seconds=1)))

    MarkLateRuns().run_once()

    assert read_run("flow", run.id)["state_name"] == "Late"


def test_one_pass_marks_more_runs_than_a_batch(make_flow_run, read_run, monkeypatch) -> None:
    monkeypatch.setattr(MarkLateRuns, "batch_size", 2)
    runs = [make_flow_run(scheduled(ago(minutes=10 + i))) for i in range(5)]

    MarkLateRuns().run_once()

    assert {read_run("flow", run.id)["state_name"] for run in runs} == {"Late"}


def test_a_late_run_is_marked_only_once(make_flow_run, client) -> None:
    run = make_flow_run(scheduled(ago(hours=1)))

    MarkLateRuns().run_once()
    MarkLateRuns().run_once()

    history = client.get("/api/flow_run_states/", {"flow_run_id": str(run.id)}).json()
    assert [s["name"] for s in history] == ["Scheduled", "Late"]


def test_a_failing_run_does_not_stop_the_others(make_flow_run, read_run, monkeypatch) -> None:
    monkeypatch.setattr(MarkLateRuns, "batch_size", 1)
    broken, healthy = sorted(
        (make_flow_run(scheduled(ago(hours=1))) for _ in range(2)), key=lambda run: run.id
    )
    real = orchestration.set_flow_run_state

    def flaky(flow_run_id, proposed, **kwargs):
        if flow_run_id == broken.id:
            raise RuntimeError("simulated failure")
        return real(flow_run_id, proposed, **kwargs)

    monkeypatch.setattr(orchestration, "set_flow_run_state", flaky)

    MarkLateRuns().run_once()

    assert read_run("flow", broken.id)["state_name"] == "Scheduled"
    assert read_run("flow", healthy.id)["state_name"] == "Late"


_SEED = textwrap.dedent(
    """
    import datetime as dt
    from django.utils import timezone
    from api.crud import flow_runs, flows
    from api.schemas.actions import FlowCreate, FlowRunCreate
    from api.schemas.states import StateCreate
    flow, _ = flows.create_flow(FlowCreate(name="late-race"))
    due = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    for _ in range(60):
        flow_runs.create_flow_run(FlowRunCreate(flow_id=flow.id, state=StateCreate.model_validate(
            {"type": "SCHEDULED", "state_details": {"scheduled_time": due}})))
    """
)

_MARK = textwrap.dedent(
    """
    import os, django
    os.environ["DJANGO_SETTINGS_MODULE"] = "orion_project.settings"
    django.setup()
    from api.services.late_runs import MarkLateRuns
    MarkLateRuns.batch_size = 7
    MarkLateRuns().run_once()
    """
)

_LATE_STATES_PER_RUN = textwrap.dedent(
    """
    from django.db.models import Count, Q
    from api.models import FlowRun
    counts = FlowRun.objects.annotate(late=Count("states", filter=Q(states__name="Late")))
    print(sorted({run.late for run in counts}), FlowRun.objects.exclude(state_name="Late").count())
    """
)


def test_two_service_processes_mark_each_run_once(scratch_database_env) -> None:
    run_django_script(_SEED, scratch_database_env)
    race(_MARK, scratch_database_env, 2)

    # Every run has exactly one Late state, and none is left unmarked.
    assert run_django_script(_LATE_STATES_PER_RUN, scratch_database_env).split() == ["[1]", "0"]

