"""CrashedRuns: a RUNNING flow run that shows no sign of life for AFTER_SECONDS becomes
``Crashed`` with its running task runs; a run that logs, moves a task, changes state or
waits on a live sub-flow run is never touched. Leaked concurrency slots are released in
the same loop."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import override_settings

from api import models
from api.orchestration import set_flow_run_state, set_task_run_state
from api.services.crashed_runs import TASK_RUN_CRASHED_MESSAGE, CrashedRuns, inactivity_message
from tests.fixtures.rows import ago, state

pytestmark = pytest.mark.django_db
AFTER = 3600.0


@pytest.fixture(autouse=True)
def _after_seconds():
    with override_settings(PREFECT_API_SERVICES_CRASHED_RUNS_AFTER_SECONDS=AFTER):
        yield


def silence(flow_run: models.FlowRun, **long_ago: float) -> None:
    """Make every sign of life of the run (its state, its task runs' states, its logs) old."""
    moment = ago(**(long_ago or {"hours": 2}))
    models.FlowRun.objects.filter(id=flow_run.id).update(state_timestamp=moment)
    models.TaskRun.objects.filter(flow_run_id=flow_run.id).update(state_timestamp=moment)
    models.Log.objects.filter(flow_run_id=flow_run.id).update(created=moment)


def post_log(client, flow_run: models.FlowRun, timestamp: str = "2020-01-01T00:00:00Z") -> None:
    """Send one log line for the run through the API."""
    line = {"name": "x", "level": 20, "message": "alive", "timestamp": timestamp, "flow_run_id": str(flow_run.id)}
    response = client.post("/api/logs/", data=json.dumps([line]), content_type="application/json")
    assert response.status_code == 201, response.content


def test_an_inactive_running_flow_run_and_its_running_task_runs_crash(make_flow_run, make_task_run, read_run, client):
    run = make_flow_run(state("RUNNING"))
    running = make_task_run(run, state("RUNNING"))
    completed = make_task_run(run, state("COMPLETED"))
    post_log(client, run)
    silence(run)

    CrashedRuns().run_once()

    body = read_run("flow", run.id)
    assert (body["state_type"], body["state"]["message"]) == ("CRASHED", inactivity_message(AFTER))
    assert "3600 seconds" in body["state"]["message"]
    task = read_run("task", running.id)
    assert (task["state_type"], task["state"]["message"]) == ("CRASHED", TASK_RUN_CRASHED_MESSAGE)
    assert read_run("task", completed.id)["state_type"] == "COMPLETED"


def test_runs_that_show_any_sign_of_life_are_never_touched(make_flow_run, make_task_run, read_run, client):
    logging_run = make_flow_run(state("RUNNING"))
    moving_task_run = make_flow_run(state("RUNNING"))
    task = make_task_run(moving_task_run, state("PENDING"))
    moved_itself = make_flow_run(state("RUNNING"))
    waiting_parent = make_flow_run(state("RUNNING"))
    parent_task = make_task_run(waiting_parent, state("RUNNING"))
    live_child = make_flow_run(state("RUNNING"), parent_task_run_id=parent_task.id)
    for run in (logging_run, moving_task_run, waiting_parent):
        silence(run)

    # A log line arrives now (its own timestamp is old: the server's clock decides).
    post_log(client, logging_run)
    # A task run changes state now.
    set_task_run_state(task.id, state("RUNNING"), force=True)
    # The run itself was set RUNNING a minute ago.
    silence(moved_itself, minutes=1)

    CrashedRuns().run_once()

    for run in (logging_run, moving_task_run, moved_itself, waiting_parent, live_child):
        assert read_run("flow", run.id)["state_type"] == "RUNNING", run.name
    assert read_run("task", task.id)["state_type"] == "RUNNING"
    assert read_run("task", parent_task.id)["state_type"] == "RUNNING"


def test_a_parent_waiting_on_a_dead_sub_flow_run_crashes_after_it(make_flow_run, make_task_run, read_run):
    parent = make_flow_run(state("RUNNING"))
    parent_task = make_task_run(parent, state("RUNNING"))
    child = make_flow_run(state("RUNNING"), parent_task_run_id=parent_task.id)
    silence(child)
    silence(parent)

    CrashedRuns().run_once()

    assert read_run("flow", child.id)["state_type"] == "CRASHED"
    # The server mirrored the child's crash onto the parent's task run: that is activity.
    assert read_run("flow", parent.id)["state_type"] == "RUNNING"
    silence(parent)
    CrashedRuns().run_once()
    assert read_run("flow", parent.id)["state_type"] == "CRASHED"


def test_only_running_flow_runs_are_considered(make_flow_run, read_run):
    runs = [make_flow_run(state(kind)) for kind in ("PENDING", "PAUSED", "CANCELLING", "COMPLETED")]
    for run in runs:
        silence(run)

    CrashedRuns().run_once()

    assert [read_run("flow", run.id)["state_type"] for run in runs] == ["PENDING", "PAUSED", "CANCELLING", "COMPLETED"]


def test_the_service_follows_its_flags(settings):
    settings.PREFECT_API_SERVICES_CRASHED_RUNS_LOOP_SECONDS = 7.0
    assert CrashedRuns().loop_seconds == 7.0
    assert CrashedRuns.is_enabled({"PREFECT_API_SERVICES_CRASHED_RUNS_ENABLED": False}) is False
    assert CrashedRuns.is_enabled() is True


# --- leaked concurrency slots ------------------------------------------------------------


def slots(client, tag: str) -> list[str]:
    """The active slots of a tag as the API shows them."""
    response = client.get(f"/api/concurrency_limits/tag/{tag}")
    assert response.status_code == 200, response.content
    return response.json()["active_slots"]


def test_leaked_slots_are_released_in_one_loop(make_flow_run, make_task_run, client):
    tag = f"db-{uuid.uuid4().hex[:6]}"
    response = client.post(
        "/api/concurrency_limits/", data=json.dumps({"tag": tag, "concurrency_limit": 10}), content_type="application/json"
    )
    assert response.status_code in (200, 201), response.content
    run = make_flow_run(state("RUNNING"))
    finished_flow = make_flow_run(state("RUNNING"))

    def holder(flow_run: models.FlowRun) -> models.TaskRun:
        task_run = make_task_run(flow_run)
        models.TaskRun.objects.filter(id=task_run.id).update(tags=[tag])
        result, _ = set_task_run_state(task_run.id, state("RUNNING"))
        assert result.status.value == "ACCEPT"
        return task_run

    healthy = holder(run)
    deleted = holder(run)
    crashed_uncleanly = holder(run)
    of_finished_flow = holder(finished_flow)
    assert len(slots(client, tag)) == 4

    assert client.delete(f"/api/task_runs/{deleted.id}").status_code == 204
    # A state written without the slot bookkeeping (as a crashed process would leave it).
    models.TaskRun.objects.filter(id=crashed_uncleanly.id).update(state_type="CRASHED")
    set_flow_run_state(finished_flow.id, state("COMPLETED"), force=True)
    assert len(slots(client, tag)) == 4

    CrashedRuns().run_once()

    assert slots(client, tag) == [str(healthy.id)]
    assert str(of_finished_flow.id) not in slots(client, tag)
