"""CancellationCleanup: a cancelled flow run's unfinished task runs and sub-flow runs are
cancelled too; finished ones, and runs of long-cancelled flows, are left alone."""

from __future__ import annotations

from api import models
from api.orchestration import set_flow_run_state
from api.services.cancellation_cleanup import CancellationCleanup, stuck_cancelling_message
from tests.fixtures.rows import ago, state

MESSAGE = "The parent flow run was cancelled."


def test_unfinished_task_runs_of_a_cancelled_flow_run_are_cancelled(make_flow_run, make_task_run, read_run) -> None:
    parent = make_flow_run(state("RUNNING"))
    running = make_task_run(parent, state("RUNNING"))
    pending = make_task_run(parent, state("PENDING"))
    completed = make_task_run(parent, state("COMPLETED"))

    set_flow_run_state(parent.id, state("CANCELLED"), force=True)

    CancellationCleanup().run_once()

    for task_run in (running, pending):
        body = read_run("task", task_run.id)
        assert (body["state_type"], body["state"]["message"]) == ("CANCELLED", MESSAGE)
    assert read_run("task", completed.id)["state_type"] == "COMPLETED"


def test_flow_runs_cancelled_long_ago_are_not_revisited(make_flow_run, make_task_run, read_run) -> None:
    parent = make_flow_run(state("RUNNING"), state("CANCELLED"))
    models.FlowRun.objects.filter(id=parent.id).update(end_time=ago(days=2))
    task_run = make_task_run(parent, state("RUNNING"))

    CancellationCleanup().run_once()

    assert read_run("task", task_run.id)["state_type"] == "RUNNING"


def test_subflow_runs_of_a_cancelled_parent_are_cancelled(make_flow_run, make_task_run, read_run, monkeypatch) -> None:
    monkeypatch.setattr(CancellationCleanup, "batch_size", 1)
    parent = make_flow_run(state("RUNNING"))
    parent_tasks = [make_task_run(parent, state("COMPLETED")) for _ in range(3)]
    subflows = [make_flow_run(state("RUNNING"), parent_task_run_id=task.id) for task in parent_tasks[:2]]
    finished = make_flow_run(state("COMPLETED"), parent_task_run_id=parent_tasks[2].id)
    orphan_task = make_task_run(subflows[0], state("RUNNING"))

    set_flow_run_state(parent.id, state("CANCELLED"), force=True)

    CancellationCleanup().run_once()

    for subflow in subflows:
        body = read_run("flow", subflow.id)
        assert (body["state_type"], body["state"]["message"]) == ("CANCELLED", MESSAGE)
    assert read_run("flow", finished.id)["state_type"] == "COMPLETED"

    # The sub-flow run is now cancelled too: the next pass takes its task runs down.
    CancellationCleanup().run_once()
    assert read_run("task", orphan_task.id)["state_type"] == "CANCELLED"


def test_runs_of_a_running_parent_are_left_alone(make_flow_run, make_task_run, read_run) -> None:
    parent = make_flow_run(state("RUNNING"))
    task_run = make_task_run(parent, state("RUNNING"))
    subflow = make_flow_run(state("RUNNING"), parent_task_run_id=task_run.id)

    CancellationCleanup().run_once()

    assert read_run("task", task_run.id)["state_type"] == "RUNNING"
    assert read_run("flow", subflow.id)["state_type"] == "RUNNING"


# --- stuck cancellations ------------------------------------------------------------------


def test_a_cancelling_run_nobody_finishes_is_cancelled_after_the_timeout(make_flow_run, read_run, settings) -> None:
    settings.PREFECT_API_SERVICES_CANCELLATION_CLEANUP_TIMEOUT_SECONDS = 180.0
    stuck = make_flow_run(state("RUNNING"), state("CANCELLING"))
    recent = make_flow_run(state("RUNNING"), state("CANCELLING"))
    models.FlowRun.objects.filter(id=stuck.id).update(state_timestamp=ago(seconds=181))
    models.FlowRun.objects.filter(id=recent.id).update(state_timestamp=ago(seconds=170))

    CancellationCleanup().run_once()

    body = read_run("flow", stuck.id)
    assert body["state_type"] == "CANCELLED"
    assert body["state"]["message"] == stuck_cancelling_message(180.0)
    assert body["end_time"] is not None
    # Still within the timeout: the agent may yet stop its infrastructure.
    assert read_run("flow", recent.id)["state_type"] == "CANCELLING"


def test_the_timeout_follows_its_setting(make_flow_run, read_run, settings) -> None:
    settings.PREFECT_API_SERVICES_CANCELLATION_CLEANUP_TIMEOUT_SECONDS = 30.0
    run = make_flow_run(state("RUNNING"), state("CANCELLING"))
    models.FlowRun.objects.filter(id=run.id).update(state_timestamp=ago(seconds=31))

    CancellationCleanup().run_once()

    assert read_run("flow", run.id)["state_type"] == "CANCELLED"


def test_a_run_cancelled_before_it_started_is_cancelled_at_once(make_flow_run, read_run, client) -> None:
    never_started = make_flow_run(state("SCHEDULED"), state("CANCELLING"))
    submitted = make_flow_run(state("PENDING"), state("CANCELLING"))
    models.FlowRun.objects.filter(id=submitted.id).update(infrastructure_pid="host:123")

    CancellationCleanup().run_once()

    # Nothing runs that an agent would have to stop: no reason to wait.
    assert read_run("flow", never_started.id)["state_type"] == "CANCELLED"
    # An agent started infrastructure for this one: it gets the timeout to stop it.
    assert read_run("flow", submitted.id)["state_type"] == "CANCELLING"

    # Cancelling a scheduled or pending run directly is accepted at once, as before.
    for initial in ("SCHEDULED", "PENDING"):
        run = make_flow_run(state(initial))
        response = client.post(
            f"/api/flow_runs/{run.id}/set_state",
            data={"state": {"type": "CANCELLED"}},
            content_type="application/json",
        )
        assert (response.status_code, response.json()["status"]) == (201, "ACCEPT")
        assert read_run("flow", run.id)["state_type"] == "CANCELLED"


def test_the_cancelled_run_s_task_runs_follow_in_the_same_pass(make_flow_run, make_task_run, read_run, settings) -> None:
    settings.PREFECT_API_SERVICES_CANCELLATION_CLEANUP_TIMEOUT_SECONDS = 180.0
    run = make_flow_run(state("RUNNING"))
    task_run = make_task_run(run, state("RUNNING"))
    set_flow_run_state(run.id, state("CANCELLING"), force=True)
    models.FlowRun.objects.filter(id=run.id).update(state_timestamp=ago(seconds=200))

    CancellationCleanup().run_once()

    assert read_run("flow", run.id)["state_type"] == "CANCELLED"
    assert read_run("task", task_run.id)["state_type"] == "CANCELLED"


def test_an_infinite_timeout_keeps_the_original_behaviour(make_flow_run, read_run, settings) -> None:
    settings.PREFECT_API_SERVICES_CANCELLATION_CLEANUP_TIMEOUT_SECONDS = float("inf")
    started = make_flow_run(state("RUNNING"), state("CANCELLING"))
    never_started = make_flow_run(state("SCHEDULED"), state("CANCELLING"))
    models.FlowRun.objects.filter(id=started.id).update(state_timestamp=ago(days=30))

    CancellationCleanup().run_once()

    assert read_run("flow", started.id)["state_type"] == "CANCELLING"
    assert read_run("flow", never_started.id)["state_type"] == "CANCELLING"
