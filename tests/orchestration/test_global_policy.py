"""Bookkeeping that every written state gets, forced or not: run times and counts,
expected start times, state details, subflow mirroring, result artifacts and
notification queueing; plus the constant query count of ``set_state``."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import models
from tests.fixtures.rows import new_block_document, new_concurrency_limit, new_notification_policy, state

pytestmark = pytest.mark.django_db

SCHEDULED_AT = "2099-05-01T10:00:00+00:00"


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def test_created_scheduled_run_has_expected_and_next_start(make_flow_run) -> None:
    run = make_flow_run(state("SCHEDULED", state_details={"scheduled_time": SCHEDULED_AT}))
    run.refresh_from_db()
    assert run.expected_start_time == parse(SCHEDULED_AT)
    assert run.next_scheduled_start_time == parse(SCHEDULED_AT)
    assert (run.state_type, run.state_name, run.run_count, run.start_time) == ("SCHEDULED", "Scheduled", 0, None)


def test_created_running_run_is_started(make_flow_run) -> None:
    run = make_flow_run(state("RUNNING"))
    run.refresh_from_db()
    assert run.run_count == 1
    assert run.start_time == run.state_timestamp == run.expected_start_time


def test_scheduled_state_without_time_is_scheduled_now(make_flow_run, propose) -> None:
    run = make_flow_run()
    code, body = propose("flow", run.id, "SCHEDULED", force=True)
    assert body["state"]["state_details"]["scheduled_time"] == body["state"]["timestamp"]


def test_run_times_follow_the_states(make_flow_run, propose) -> None:
    run = make_flow_run(state("SCHEDULED", state_details={"scheduled_time": "2020-01-01T00:00:00+00:00"}))
    propose("flow", run.id, "PENDING")
    running = propose("flow", run.id, "RUNNING")[1]["state"]
    run.refresh_from_db()
    assert run.next_scheduled_start_time is None
    assert run.start_time == parse(running["timestamp"])
    assert run.end_time is None

    done = propose("flow", run.id, "COMPLETED")[1]["state"]
    run.refresh_from_db()
    assert run.end_time == parse(done["timestamp"])
    assert run.total_run_time == parse(done["timestamp"]) - parse(running["timestamp"])
    assert (run.state_type, run.state_name, run.state_timestamp) == ("COMPLETED", "Completed", run.end_time)
    assert run.expected_start_time == parse("2020-01-01T00:00:00+00:00")

    # Leaving a final state clears the end time; a second run keeps the first start time.
    propose("flow", run.id, "RUNNING", force=True)
    run.refresh_from_db()
    assert run.end_time is None
    assert run.start_time == parse(running["timestamp"])
    assert run.run_count == 2


def test_run_that_never_started_gets_no_end_time(make_flow_run, propose) -> None:
    run = make_flow_run()
    propose("flow", run.id, "CANCELLED")
    run.refresh_from_db()
    assert run.state_type == "CANCELLED" and run.end_time is None and run.start_time is None


def test_state_details_name_the_run(make_flow_run, make_task_run, propose) -> None:
    run = make_flow_run(state("RUNNING"))
    bogus = str(uuid.uuid4())
    body = propose("flow", run.id, "COMPLETED", state_details={"flow_run_id": bogus})[1]
    assert body["state"]["state_details"]["flow_run_id"] == str(run.id)

    other = make_flow_run(state("RUNNING"))
    task = make_task_run(other)
    body = propose("task", task.id, "RUNNING", state_details={"flow_run_id": bogus, "task_run_id": bogus})[1]
    assert body["state"]["state_details"]["flow_run_id"] == str(other.id)
    assert body["state"]["state_details"]["task_run_id"] == str(task.id)


def test_task_run_count_and_flow_run_tracker(make_flow_run, make_task_run, propose) -> None:
    run = make_flow_run(state("RUNNING"))
    task = make_task_run(run)
    propose("task", task.id, "RUNNING")
    task.refresh_from_db()
    assert (task.run_count, task.flow_run_run_count) == (1, 1)
    assert task.start_time is not None


def test_subflow_states_are_mirrored_on_the_parent_task(make_flow_run, make_task_run, propose, client) -> None:
    parent = make_flow_run(state("RUNNING"))
    task = make_task_run(parent, state("RUNNING"))
    child = make_flow_run(parent_task_run_id=task.id)
    task.refresh_from_db()
    assert task.state_type == "PENDING"

    propose("flow", child.id, "RUNNING")
    body = propose("flow", child.id, "COMPLETED", message="done", data={"type": "unpersisted"})[1]
    assert body["state"]["state_details"]["task_run_id"] == str(task.id)

    task.refresh_from_db()
    assert (task.state_type, task.state_name) == ("COMPLETED", "Completed")
    states = client.get("/api/task_run_states/", {"task_run_id": task.id}).json()
    mirrored = states[-1]
    assert mirrored["id"] != body["state"]["id"]
    assert mirrored["message"] == "done"
    assert mirrored["data"] == {"type": "unpersisted"}
    assert mirrored["state_details"]["child_flow_run_id"] == str(child.id)
    assert mirrored["state_details"]["task_run_id"] == str(task.id)
    assert mirrored["state_details"]["flow_run_id"] == str(parent.id)


def test_result_artifact_takes_the_artifact_keys(make_flow_run, propose, client) -> None:
    run = make_flow_run(state("RUNNING"))
    data = {
        "type": "reference",
        "storage_key": "/tmp/x",
        "artifact_type": "result",
        "artifact_description": "The result",
        "artifact_key": "my-result",
    }
    body = propose("flow", run.id, "COMPLETED", data=data)[1]
    assert body["state"]["data"] == {"type": "reference", "storage_key": "/tmp/x"}

    row = models.FlowRunState.objects.get(id=body["state"]["id"])
    assert row.data is None
    artifact = row.result_artifact
    assert (artifact.key, artifact.type, artifact.description) == ("my-result", "result", "The result")
    assert artifact.flow_run_id == run.id and artifact.task_run_id is None
    read_back = client.get(f"/api/flow_run_states/{row.id}").json()
    assert read_back["data"] == {"type": "reference", "storage_key": "/tmp/x"}


@pytest.fixture
def notification_block(db) -> models.BlockDocument:
    return new_block_document(name="n")


def test_notifications_are_queued_for_matching_policies(make_flow_run, propose, notification_block) -> None:
    policies = {
        name: new_notification_policy(notification_block, **fields)
        for name, fields in {
            "failed": {"state_names": ["Failed"]},
            "any": {},
            "tagged": {"tags": ["prod"]},
            "other-tag": {"tags": ["dev"]},
            "inactive": {"is_active": False},
        }.items()
    }
    run = make_flow_run(state("RUNNING"), tags=["prod"])
    models.FlowRunNotificationQueue.objects.all().delete()

    body = propose("flow", run.id, "FAILED")[1]
    queued = {
        row.flow_run_notification_policy_id
        for row in models.FlowRunNotificationQueue.objects.filter(flow_run_state_id=body["state"]["id"])
    }
    assert queued == {policies["failed"].id, policies["any"].id, policies["tagged"].id}

    # A refusal queues nothing.
    models.FlowRunNotificationQueue.objects.all().delete()
    assert propose("flow", run.id, "RUNNING")[1]["status"] == "ABORT"
    assert not models.FlowRunNotificationQueue.objects.exists()


def test_task_transitions_queue_no_notifications(make_flow_run, make_task_run, propose, notification_block) -> None:
    new_notification_policy(notification_block)
    task = make_task_run(make_flow_run(state("RUNNING")))
    models.FlowRunNotificationQueue.objects.all().delete()
    propose("task", task.id, "RUNNING")
    assert not models.FlowRunNotificationQueue.objects.exists()


def test_old_clients_count_every_running_state(make_flow_run, propose, client) -> None:
    """Before API 0.8.4 the resuming flag is ignored: resuming a reschedule pause counts a run."""
    run = make_flow_run(state("RUNNING"), deployment_id=uuid.uuid4())
    propose("flow", run.id, "PAUSED", state_details={"pause_reschedule": True}, api_version="0.8.2")
    client.post(f"/api/flow_runs/{run.id}/resume", headers={"X-PREFECT-API-VERSION": "0.8.2"})
    propose("flow", run.id, "PENDING", api_version="0.8.2")
    propose("flow", run.id, "RUNNING", api_version="0.8.2")
    run.refresh_from_db()
    assert run.run_count == 2


def _set_state_queries(client, url: str, body: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    return len(queries)


def test_set_state_query_count_is_small_and_constant(make_flow_run, make_task_run, propose, client) -> None:
    new_concurrency_limit("t", 100)
    small = make_flow_run(state("RUNNING"))
    small_task = make_task_run(small, tags=["t"])
    big = make_flow_run(state("RUNNING"))
    # A long history and many sibling task runs must not cost anything.
    for _ in range(15):
        propose("flow", big.id, "RUNNING", force=True)
    for _ in range(15):
        make_task_run(big, state("COMPLETED"))
    big_task = make_task_run(big, tags=["t"])

    counts = []
    for flow_run, task_run in ((small, small_task), (big, big_task)):
        task_url = f"/api/task_runs/{task_run.id}/set_state"
        counts.append(
            (
                _set_state_queries(client, task_url, {"state": {"type": "RUNNING"}}),
                _set_state_queries(client, task_url, {"state": {"type": "COMPLETED", "data": {"type": "unpersisted"}}}),
                _set_state_queries(client, f"/api/flow_runs/{flow_run.id}/set_state", {"state": {"type": "COMPLETED"}}),
            )
        )
    assert counts[0] == counts[1]
    task_running, task_completed, flow_completed = counts[0]
    # Task RUNNING: lock the run, read it (with its state and flow run), lock and take the
    # slots, insert the state, update the run; COMPLETED adds the result artifact; the
    # flow run adds the notification-policy lookup; each write adds its audit row. The rest
    # is the transaction.
    assert task_running <= 9
    assert task_completed <= 10
    assert flow_completed <= 8
