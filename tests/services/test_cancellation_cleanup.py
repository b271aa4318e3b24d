"""CancellationCleanup: a cancelled flow run's unfinished task runs and sub-flow runs are
cancelled too; finished ones, and runs of long-cancelled flows, are left alone."""

from __future__ import annotations

from api import models
from api.orchestration import set_flow_run_state
from api.services.cancellation_cleanup import CancellationCleanup
from tests.services.conftest import ago, state

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
