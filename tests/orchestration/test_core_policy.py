"""The core flow and task policies, driven through ``set_state`` / ``resume`` over HTTP.

The cases follow the vectors observed on a real 2.8.7 server: status, HTTP code,
returned state and reason.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from api import models
from api.orchestration.core_policy import retry_delay_seconds
from tests.fixtures.rows import new_concurrency_limit, set_columns, state

pytestmark = pytest.mark.django_db

FAR_FUTURE = "2099-01-01T00:00:00+00:00"


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def reason(body: dict) -> str:
    return body["details"]["reason"]


# ---------------------------------------------------------------------------------------
# Flow runs


def test_pending_to_running_is_accepted(make_flow_run, propose) -> None:
    run = make_flow_run()
    code, body = propose("flow", run.id, "RUNNING")
    assert code == 201
    assert body["status"] == "ACCEPT"
    assert body["details"] == {"type": "accept_details"}
    assert body["state"]["type"] == "RUNNING" and body["state"]["name"] == "Running"
    run.refresh_from_db()
    assert str(run.state_id) == body["state"]["id"]


@pytest.mark.parametrize(
    "initial, proposed",
    [("RUNNING", "RUNNING"), ("RUNNING", "PENDING"), ("PENDING", "SCHEDULED"), ("PENDING", "PENDING")],
)
def test_redundant_or_backward_transitions_abort(make_flow_run, propose, initial, proposed) -> None:
    run = make_flow_run(state(initial))
    code, body = propose("flow", run.id, proposed)
    assert code == 200
    assert body["status"] == "ABORT"
    assert reason(body) == (
        f"This run cannot transition to the StateType.{proposed} state from the StateType.{initial} state."
    )
    assert body["state"]["type"] == initial
    assert body["state"]["id"] == str(run.state_id)


def test_scheduled_to_pending_copies_the_scheduled_time(make_flow_run, propose) -> None:
    run = make_flow_run(state("SCHEDULED", state_details={"scheduled_time": FAR_FUTURE}))
    code, body = propose("flow", run.id, "PENDING")
    assert code == 201 and body["status"] == "ACCEPT"
    assert parse(body["state"]["state_details"]["scheduled_time"]) == parse(FAR_FUTURE)


def test_early_start_waits_for_the_scheduled_time(make_flow_run, propose) -> None:
    run = make_flow_run(state("SCHEDULED", state_details={"scheduled_time": FAR_FUTURE}))
    propose("flow", run.id, "PENDING")
    code, body = propose("flow", run.id, "RUNNING")
    assert code == 200
    assert body["status"] == "WAIT"
    assert reason(body) == "Scheduled time is in the future"
    expected = (parse(FAR_FUTURE) - timezone.now()).total_seconds()
    assert abs(body["details"]["delay_seconds"] - expected) <= 2
    assert body["state"]["type"] == "PENDING"


def test_force_skips_the_core_rules(make_flow_run, propose) -> None:
    run = make_flow_run(state("COMPLETED"))
    code, body = propose("flow", run.id, "RUNNING", force=True)
    assert code == 201 and body["status"] == "ACCEPT"
    assert body["state"]["type"] == "RUNNING"


def test_terminal_flow_refuses_to_run_again(make_flow_run, propose) -> None:
    run = make_flow_run(state("COMPLETED", data={"type": "unpersisted"}))
    code, body = propose("flow", run.id, "RUNNING")
    assert code == 200
    assert body["status"] == "ABORT"
    assert reason(body) == "This run has already terminated."
    assert body["state"]["type"] == "COMPLETED"
    assert body["state"]["data"] is None


def test_failing_flow_with_retries_left_is_rescheduled(make_flow_run, propose) -> None:
    run = make_flow_run(state("RUNNING"), empirical_policy={"retries": 1, "retry_delay": 10})
    code, body = propose("flow", run.id, "FAILED", message="boom")
    assert code == 201
    assert body["status"] == "REJECT" and reason(body) == "Retrying"
    retry = body["state"]
    assert (retry["type"], retry["name"], retry["message"]) == ("SCHEDULED", "AwaitingRetry", "boom")
    delay = (parse(retry["state_details"]["scheduled_time"]) - parse(retry["timestamp"])).total_seconds()
    assert delay == pytest.approx(10, abs=0.01)

    code, body = propose("flow", run.id, "RUNNING")
    assert code == 200
    assert body["status"] == "WAIT" and body["details"]["delay_seconds"] == 10


def test_failing_flow_without_retries_left_fails(make_flow_run, propose) -> None:
    run = make_flow_run(state("RUNNING"), empirical_policy={"retries": 1, "retry_delay": 0})
    propose("flow", run.id, "FAILED")  # first failure: AwaitingRetry, due now
    code, body = propose("flow", run.id, "RUNNING")
    assert body["status"] == "ACCEPT"
    code, body = propose("flow", run.id, "FAILED")
    assert code == 201 and body["status"] == "ACCEPT" and body["state"]["type"] == "FAILED"
    run.refresh_from_db()
    assert run.run_count == 2


def test_pausing_requires_a_running_flow(make_flow_run, propose) -> None:
    run = make_flow_run()
    code, body = propose("flow", run.id, "PAUSED")
    assert code == 200
    assert body["status"] == "REJECT"
    assert reason(body) == "Cannot pause flows that are not currently running."
    assert body["state"]["type"] == "PENDING"


def test_pausing_a_run_without_state_aborts(flow, propose) -> None:
    # A run without any state: the API always gives a new run one, so write the row directly.
    run = models.FlowRun.objects.create(flow=flow, name="stateless")
    code, body = propose("flow", run.id, "PAUSED")
    assert (code, body["status"], body["state"]) == (200, "ABORT", None)
    assert reason(body) == "Cannot pause flows with no state."


def test_pause_resume_and_pause_key_reuse(make_flow_run, propose, resume) -> None:
    run = make_flow_run(state("RUNNING"))
    code, body = propose(
        "flow", run.id, "PAUSED", state_details={"pause_key": "1", "pause_timeout": FAR_FUTURE}
    )
    assert code == 201 and body["status"] == "ACCEPT" and body["state"]["type"] == "PAUSED"
    run.refresh_from_db()
    assert run.empirical_policy["pause_keys"] == ["1"]

    code, body = resume(run.id)
    assert code == 201 and body["status"] == "ACCEPT"
    assert body["state"]["type"] == "RUNNING"
    run.refresh_from_db()
    assert run.run_count == 2
    assert run.empirical_policy["resuming"] is True

    code, body = propose("flow", run.id, "PAUSED", state_details={"pause_key": "1"})
    assert code == 200 and body["status"] == "REJECT"
    assert reason(body) == "This pause has already fired."
    assert body["state"]["type"] == "RUNNING"


def test_reschedule_pause_needs_a_deployment(make_flow_run, propose) -> None:
    run = make_flow_run(state("RUNNING"))
    code, body = propose("flow", run.id, "PAUSED", state_details={"pause_reschedule": True})
    assert code == 200 and body["status"] == "ABORT"
    assert reason(body) == "Cannot pause flows without a deployment with the reschedule option."


def test_reschedule_pause_is_refused_to_subflows(make_flow_run, make_task_run, propose) -> None:
    parent = make_flow_run(state("RUNNING"))
    task = make_task_run(parent, state("RUNNING"))
    run = make_flow_run(state("RUNNING"), parent_task_run_id=task.id, deployment_id=uuid.uuid4())
    code, body = propose("flow", run.id, "PAUSED", state_details={"pause_reschedule": True})
    assert body["status"] == "ABORT"
    assert reason(body) == "Cannot pause subflows with the reschedule option."


def test_resuming_a_reschedule_pause_schedules_the_run(make_flow_run, propose, resume) -> None:
    run = make_flow_run(state("RUNNING"), deployment_id=uuid.uuid4())
    code, body = propose("flow", run.id, "PAUSED", state_details={"pause_reschedule": True, "pause_key": "k"})
    assert body["status"] == "ACCEPT"
    code, body = resume(run.id)
    assert code == 201 and body["status"] == "ACCEPT"
    assert (body["state"]["type"], body["state"]["name"]) == ("SCHEDULED", "Resuming")
    # The agent picks it up again: the resumed run is not counted as a new run.
    assert propose("flow", run.id, "PENDING")[1]["status"] == "ACCEPT"
    assert propose("flow", run.id, "RUNNING")[1]["status"] == "ACCEPT"
    run.refresh_from_db()
    assert run.run_count == 1
    assert run.empirical_policy["resuming"] is False


def test_resuming_after_the_pause_timeout_fails_the_run(make_flow_run, propose, resume) -> None:
    run = make_flow_run(state("RUNNING"))
    past = (timezone.now() - dt.timedelta(minutes=1)).isoformat()
    propose("flow", run.id, "PAUSED", state_details={"pause_timeout": past})
    code, body = resume(run.id)
    assert code == 201 and body["status"] == "REJECT"
    assert reason(body) == "The flow run pause has timed out and can no longer resume."
    assert body["state"]["type"] == "FAILED"
    assert body["state"]["message"] == "The flow was paused and never resumed."


def test_paused_flow_cannot_go_back_to_pending(make_flow_run, propose) -> None:
    run = make_flow_run(state("RUNNING"))
    propose("flow", run.id, "PAUSED")
    code, body = propose("flow", run.id, "PENDING")
    assert code == 200 and body["status"] == "REJECT"
    assert reason(body) == "This run cannot transition to the StateType.PENDING state from the StateType.PAUSED state."


def test_reschedule_pause_without_deployment_cannot_resume(make_flow_run, propose, resume) -> None:
    run = make_flow_run(state("RUNNING"))
    propose("flow", run.id, "PAUSED", force=True, state_details={"pause_reschedule": True})
    code, body = resume(run.id)
    assert code == 200 and body["status"] == "REJECT"
    assert reason(body) == "Cannot reschedule a paused flow run without a deployment."
    assert body["state"]["type"] == "PAUSED"


def test_resume_of_a_run_that_is_not_paused(make_flow_run, resume) -> None:
    run = make_flow_run(state("RUNNING"))
    assert resume(run.id) == (
        200,
        {
            "state": None,
            "status": "ABORT",
            "details": {"type": "abort_details", "reason": "Cannot resume a flow run that is not paused."},
        },
    )


def test_cancellation_goes_through_cancelling(make_flow_run, propose) -> None:
    run = make_flow_run()
    code, body = propose("flow", run.id, "CANCELLING")
    assert code == 201 and body["status"] == "ACCEPT" and body["state"]["name"] == "Cancelling"

    code, body = propose("flow", run.id, "COMPLETED")
    assert code == 200 and body["status"] == "REJECT"
    assert reason(body) == "Cannot transition flows that are cancelling to a state other than Cancelled."
    assert body["state"]["type"] == "CANCELLING"

    code, body = propose("flow", run.id, "CANCELLED")
    assert code == 201 and body["status"] == "ACCEPT" and body["state"]["type"] == "CANCELLED"


def test_manual_retry_needs_a_deployment(make_flow_run, propose) -> None:
    run = make_flow_run(state("CANCELLED"))
    code, body = propose("flow", run.id, "SCHEDULED", name="AwaitingRetry")
    assert code == 200 and body["status"] == "ABORT"
    assert reason(body) == "Cannot restart a run without an associated deployment."


def test_manual_retry_of_a_failed_deployment_run(make_flow_run, propose) -> None:
    run = make_flow_run(
        state("FAILED"), deployment_id=uuid.uuid4(), empirical_policy={"pause_keys": ["1"], "resuming": True}
    )
    code, body = propose("flow", run.id, "SCHEDULED", name="AwaitingRetry")
    assert code == 201 and body["status"] == "ACCEPT"
    assert body["state"]["name"] == "AwaitingRetry"
    run.refresh_from_db()
    assert run.empirical_policy["pause_keys"] == [] and run.empirical_policy["resuming"] is False
    assert run.end_time is None


def test_cancelled_deployment_run_cannot_be_retried(make_flow_run, propose) -> None:
    """The terminal rule lets the retry through, the cancelling rule rejects it, and the
    terminal rule's policy reset is undone."""
    run = make_flow_run(state("CANCELLED"), deployment_id=uuid.uuid4(), empirical_policy={"pause_keys": ["1"]})
    code, body = propose("flow", run.id, "SCHEDULED", name="AwaitingRetry")
    assert code == 200 and body["status"] == "REJECT"
    assert reason(body) == "Cannot transition flows that are cancelling to a state other than Cancelled."
    run.refresh_from_db()
    assert run.empirical_policy["pause_keys"] == ["1"]


def test_other_proposals_for_a_terminal_run_abort(make_flow_run, propose) -> None:
    run = make_flow_run(state("FAILED"), deployment_id=uuid.uuid4())
    code, body = propose("flow", run.id, "SCHEDULED")
    assert code == 200 and body["status"] == "ABORT"
    assert reason(body) == "This run has already terminated."


def test_missing_flow_run(db, propose, resume) -> None:
    run_id = uuid.uuid4()
    code, body = propose("flow", run_id, "RUNNING")
    assert (code, body) == (404, {"exception_message": f"Flow run with id {run_id} not found"})
    assert resume(run_id)[0] == 404


def test_old_clients_get_failed_task_runs_rescheduled_on_flow_retry(make_flow_run, make_task_run, propose) -> None:
    run = make_flow_run(state("RUNNING"), empirical_policy={"retries": 1})
    failed = make_task_run(run, state("FAILED"))
    done = make_task_run(run, state("COMPLETED"))
    code, body = propose("flow", run.id, "FAILED", api_version="0.8.2")
    assert body["status"] == "REJECT"
    failed.refresh_from_db()
    done.refresh_from_db()
    assert (failed.state_type, failed.state_name, failed.run_count) == ("SCHEDULED", "AwaitingRetry", 0)
    assert done.state_type == "COMPLETED"


def test_new_clients_keep_task_runs_on_flow_retry(make_flow_run, make_task_run, propose) -> None:
    run = make_flow_run(state("RUNNING"), empirical_policy={"retries": 1, "pause_keys": ["p"]})
    failed = make_task_run(run, state("FAILED"))
    code, body = propose("flow", run.id, "FAILED", api_version="0.8.4")
    assert body["status"] == "REJECT"
    failed.refresh_from_db()
    run.refresh_from_db()
    assert failed.state_type == "FAILED"
    assert run.empirical_policy["pause_keys"] == []


# ---------------------------------------------------------------------------------------
# Task runs


@pytest.mark.parametrize("flow_state", ["SCHEDULED", "PENDING", "COMPLETED"])
def test_tasks_run_only_in_running_flows(make_flow_run, make_task_run, propose, flow_state) -> None:
    run = make_flow_run(state(flow_state))
    task = make_task_run(run)
    code, body = propose("task", task.id, "RUNNING")
    assert code == 200 and body["status"] == "ABORT"
    assert reason(body) == "The enclosing flow must be running to begin task execution."
    assert body["state"]["type"] == "PENDING"


def test_tasks_of_a_paused_flow_are_not_ready(make_flow_run, make_task_run, propose) -> None:
    run = make_flow_run(state("PAUSED"))
    task = make_task_run(run)
    code, body = propose("task", task.id, "RUNNING")
    assert code == 201 and body["status"] == "REJECT"
    assert (body["state"]["type"], body["state"]["name"]) == ("PAUSED", "NotReady")
    assert reason(body) == f"The flow is paused, new tasks can execute after resuming flow run: {run.id}."


def test_zero_concurrency_limit_aborts(make_flow_run, make_task_run, propose) -> None:
    new_concurrency_limit("t1", 0)
    task = make_task_run(make_flow_run(state("RUNNING")), tags=["t1"])
    code, body = propose("task", task.id, "RUNNING")
    assert code == 200 and body["status"] == "ABORT"
    assert reason(body) == 'The concurrency limit on tag "t1" is 0 and will deadlock if the task tries to run again.'


def test_concurrency_slots_are_taken_waited_for_and_released(make_flow_run, make_task_run, propose) -> None:
    limit = new_concurrency_limit("t1", 1)
    run = make_flow_run(state("RUNNING"))
    first = make_task_run(run, tags=["t1"])
    second = make_task_run(run, tags=["t1"])

    assert propose("task", first.id, "RUNNING")[1]["status"] == "ACCEPT"
    limit.refresh_from_db()
    assert limit.active_slots == [str(first.id)]

    code, body = propose("task", second.id, "RUNNING")
    assert code == 200 and body["status"] == "WAIT"
    assert body["details"]["delay_seconds"] == 30
    assert reason(body) == "Concurrency limit for the t1 tag has been reached"
    assert body["state"]["type"] == "PENDING"

    assert propose("task", first.id, "COMPLETED")[1]["status"] == "ACCEPT"
    limit.refresh_from_db()
    assert limit.active_slots == []
    assert propose("task", second.id, "RUNNING")[1]["status"] == "ACCEPT"
    limit.refresh_from_db()
    assert limit.active_slots == [str(second.id)]


def test_refused_task_gives_back_slots_it_took(make_flow_run, make_task_run, propose) -> None:
    """The second tag is full: the slot taken on the first tag is not kept."""
    free = new_concurrency_limit("a", 5)
    set_columns(new_concurrency_limit("b", 1), active_slots=[str(uuid.uuid4())])
    task = make_task_run(make_flow_run(state("RUNNING")), tags=["a", "b"])
    assert propose("task", task.id, "RUNNING")[1]["status"] == "WAIT"
    free.refresh_from_db()
    assert free.active_slots == []


def test_slot_taken_then_rejected_by_a_later_rule_is_given_back(make_flow_run, make_task_run, propose) -> None:
    """The slot rule ran, then the scheduled-time rule made the task wait: cleanup frees it."""
    limit = new_concurrency_limit("t1", 1)
    run = make_flow_run(state("RUNNING"))
    task = make_task_run(run, state("SCHEDULED", state_details={"scheduled_time": FAR_FUTURE}), tags=["t1"])
    code, body = propose("task", task.id, "RUNNING")
    assert body["status"] == "WAIT" and reason(body) == "Scheduled time is in the future"
    limit.refresh_from_db()
    assert limit.active_slots == []


def test_failing_task_with_retries_is_retried(make_flow_run, make_task_run, propose) -> None:
    limit = new_concurrency_limit("t1", 1)
    run = make_flow_run(state("RUNNING"))
    task = make_task_run(run, tags=["t1"], empirical_policy={"retries": 1, "retry_delay": 0})
    assert propose("task", task.id, "RUNNING")[1]["status"] == "ACCEPT"

    code, body = propose(
        "task", task.id, "FAILED", data={"type": "unpersisted", "artifact_type": "result"}, message="oops"
    )
    assert code == 201 and body["status"] == "REJECT" and reason(body) == "Retrying"
    assert (body["state"]["type"], body["state"]["name"]) == ("SCHEDULED", "AwaitingRetry")
    assert body["state"]["data"] == {"type": "unpersisted"}
    assert body["state"]["message"] == "oops"
    limit.refresh_from_db()
    assert limit.active_slots == []

    code, body = propose("task", task.id, "RUNNING")
    assert code == 201 and body["status"] == "ACCEPT"
    assert body["state"]["name"] == "Retrying"
    task.refresh_from_db()
    assert task.run_count == 2

    code, body = propose("task", task.id, "FAILED")
    assert body["status"] == "ACCEPT" and body["state"]["type"] == "FAILED"


def test_a_task_run_again_is_renamed_rerunning(make_flow_run, make_task_run, propose) -> None:
    task = make_task_run(make_flow_run(state("RUNNING")), state("RUNNING"))
    propose("task", task.id, "PENDING", force=True)
    code, body = propose("task", task.id, "RUNNING")
    assert body["status"] == "ACCEPT" and body["state"]["name"] == "Rerunning"


def test_cached_state_is_returned_instead_of_running(make_flow_run, make_task_run, propose) -> None:
    run = make_flow_run(state("RUNNING"))
    first = make_task_run(run, state("RUNNING"))
    propose(
        "task", first.id, "COMPLETED", data={"type": "reference", "storage_key": "abc"},
        state_details={"cache_key": "ck1"}, message="first",
    )
    second = make_task_run(run)
    code, body = propose("task", second.id, "RUNNING", state_details={"cache_key": "ck1"})
    assert code == 201 and body["status"] == "REJECT"
    assert reason(body) == "Retrieved state from cache"
    cached = body["state"]
    assert (cached["type"], cached["name"], cached["message"]) == ("COMPLETED", "Cached", "first")
    assert cached["data"] == {"type": "reference", "storage_key": "abc"}
    assert cached["state_details"]["cache_key"] == "ck1"
    assert cached["state_details"]["task_run_id"] == str(second.id)

    third = make_task_run(run)
    code, body = propose("task", third.id, "RUNNING", state_details={"cache_key": "ck1", "refresh_cache": True})
    assert body["status"] == "ACCEPT" and body["state"]["type"] == "RUNNING"


def test_expired_cache_entries_are_ignored(make_flow_run, make_task_run, propose) -> None:
    run = make_flow_run(state("RUNNING"))
    first = make_task_run(run, state("RUNNING"))
    past = (timezone.now() - dt.timedelta(seconds=1)).isoformat()
    propose("task", first.id, "COMPLETED", state_details={"cache_key": "old", "cache_expiration": past})
    assert models.TaskRunStateCache.objects.filter(cache_key="old").count() == 1
    second = make_task_run(run)
    assert propose("task", second.id, "RUNNING", state_details={"cache_key": "old"})[1]["status"] == "ACCEPT"


def test_failed_task_reruns_when_its_flow_is_retried(make_flow_run, make_task_run, propose) -> None:
    run = make_flow_run(state("RUNNING"))
    task = make_task_run(run)
    propose("task", task.id, "RUNNING")
    propose("task", task.id, "FAILED")
    task.refresh_from_db()
    assert task.flow_run_run_count == 1

    code, body = propose("task", task.id, "RUNNING")
    assert code == 200 and body["status"] == "ABORT" and reason(body) == "This run has already terminated."

    # The flow run is retried (twice more): its task may run again.
    for _ in range(2):
        propose("flow", run.id, "SCHEDULED", force=True, name="AwaitingRetry")
        propose("flow", run.id, "RUNNING", force=True)
    code, body = propose("task", task.id, "RUNNING")
    assert code == 201 and body["status"] == "ACCEPT" and body["state"]["name"] == "Retrying"
    task.refresh_from_db()
    assert (task.run_count, task.flow_run_run_count) == (1, 3)


def test_completed_task_is_never_rerun(make_flow_run, make_task_run, propose) -> None:
    run = make_flow_run(state("RUNNING"), empirical_policy={})
    task = make_task_run(run, state("COMPLETED"))
    propose("flow", run.id, "RUNNING", force=True)
    code, body = propose("task", task.id, "RUNNING")
    assert body["status"] == "ABORT" and reason(body) == "This run has already terminated."


def test_forced_task_state_still_releases_slots(make_flow_run, make_task_run, propose) -> None:
    limit = new_concurrency_limit("t1", 1)
    task = make_task_run(make_flow_run(state("RUNNING")), tags=["t1"])
    propose("task", task.id, "RUNNING")
    code, body = propose("task", task.id, "CRASHED", force=True)
    assert code == 201 and body["status"] == "ACCEPT"
    limit.refresh_from_db()
    assert limit.active_slots == []


def test_missing_task_run(db, propose) -> None:
    run_id = uuid.uuid4()
    code, body = propose("task", run_id, "RUNNING")
    assert (code, body) == (404, {"exception_message": f"Task run with id {run_id} not found"})


def test_retry_delay_per_try_and_jitter() -> None:
    assert retry_delay_seconds({"retry_delay": [1, 5, 9]}, run_count=1) == 1
    assert retry_delay_seconds({"retry_delay": [1, 5, 9]}, run_count=2) == 5
    assert retry_delay_seconds({"retry_delay": [1, 5, 9]}, run_count=7) == 9
    assert retry_delay_seconds({"retry_delay": 4}, run_count=3) == 4
    assert retry_delay_seconds({"retry_delay": 0, "retry_jitter_factor": 2}, run_count=1) == 0
    draws = [retry_delay_seconds({"retry_delay": 10, "retry_jitter_factor": 0.5}, 1) for _ in range(200)]
    assert all(10 * 0.6 <= draw <= 15 for draw in draws)
    assert len(set(draws)) > 1
