"""``/task_runs``: create-or-get with an initial state, read, rename, filter, count,
history, delete, and the thin ``set_state`` route."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from api import models
from api.utilities.server import INTEGRITY_DETAIL
from tests.fixtures.http import call, count_queries, ids, names, post
from tests.fixtures.rows import new_deployment, new_flow, new_flow_run, new_task_run, set_columns, state

pytestmark = pytest.mark.django_db


def _body(flow_run: models.FlowRun, **fields):
    return {"flow_run_id": str(flow_run.id), "task_key": "mod.task", "dynamic_key": "0", **fields}


def test_create_task_run_then_get_the_existing_one(client):
    run = new_flow_run()
    inputs = {"x": [{"input_type": "task_run", "id": str(uuid.uuid4())}], "y": [{"input_type": "constant", "type": "int"}]}
    first = post(client, "/task_runs/", _body(run, name="t-0", tags=["a"], task_inputs=inputs, empirical_policy={"max_retries": 2, "retry_delay_seconds": 5}))
    assert first.status_code == 201
    task = first.json()
    assert task["name"] == "t-0" and task["state"]["type"] == "PENDING" and task["state_name"] == "Pending"
    assert task["state"]["state_details"]["task_run_id"] == task["id"]
    assert task["task_inputs"] == inputs
    assert task["empirical_policy"] == {"max_retries": 2, "retry_delay_seconds": 5.0, "retries": 2, "retry_delay": 5, "retry_jitter_factor": None}

    again = post(client, "/task_runs/", _body(run, name="other", state={"type": "RUNNING"}))
    assert again.status_code == 200
    assert again.json()["id"] == task["id"] and again.json()["name"] == "t-0" and again.json()["state_type"] == "PENDING"
    generated = post(client, "/task_runs/", _body(run, dynamic_key="1")).json()
    assert len(generated["name"].split("-")) == 2


def test_create_task_run_with_an_initial_state(client):
    run = new_flow_run()
    task = post(client, "/task_runs/", _body(run, state={"type": "RUNNING"})).json()
    assert task["state_type"] == "RUNNING" and task["run_count"] == 1 and task["start_time"] is not None


def test_create_task_run_validation(client):
    run = new_flow_run()
    unknown = post(client, "/task_runs/", _body(run, flow_run_id=str(uuid.uuid4())))
    assert unknown.status_code == 409 and unknown.json() == {"detail": INTEGRITY_DETAIL}
    assert post(client, "/task_runs/", _body(run, cache_key="k" * 2001)).status_code == 422
    assert post(client, "/task_runs/", _body(run, cache_key="k" * 2000)).status_code == 201
    too_many = {"retry_delay": list(range(51))}
    assert post(client, "/task_runs/", _body(run, dynamic_key="2", empirical_policy=too_many)).status_code == 422
    negative = {"retry_jitter_factor": -1}
    assert post(client, "/task_runs/", _body(run, dynamic_key="3", empirical_policy=negative)).status_code == 422
    delays = {"retry_delay": [1, 2, 3]}
    assert post(client, "/task_runs/", _body(run, dynamic_key="4", empirical_policy=delays)).json()["empirical_policy"]["retry_delay"] == [1, 2, 3]
    bad_input = {"x": [{"input_type": "nonsense"}]}
    assert post(client, "/task_runs/", _body(run, dynamic_key="5", task_inputs=bad_input)).status_code == 422
    assert post(client, "/task_runs/", _body(run, dynamic_key="6", extra=1)).status_code == 422
    missing_key = {"flow_run_id": str(run.id), "task_key": "k"}
    assert post(client, "/task_runs/", missing_key).status_code == 422


def test_read_rename_and_delete_task_run(client):
    run = new_flow_run()
    task = new_task_run(run, name="before")
    assert call(client, "get", f"/task_runs/{task.id}").json()["name"] == "before"
    assert call(client, "patch", f"/task_runs/{task.id}", {"name": "after"}).status_code == 204
    assert call(client, "get", f"/task_runs/{task.id}").json()["name"] == "after"
    assert call(client, "patch", f"/task_runs/{task.id}", {"tags": []}).status_code == 422
    assert call(client, "patch", f"/task_runs/{uuid.uuid4()}", {"name": "x"}).json() == {"detail": "Task run not found"}

    post(client, "/logs/", [{"name": "l", "level": 20, "message": "m", "timestamp": "2024-01-01T00:00:00Z", "flow_run_id": str(run.id), "task_run_id": str(task.id)}])
    assert call(client, "delete", f"/task_runs/{task.id}").status_code == 204
    assert not models.TaskRunState.objects.exists() and not models.Log.objects.exists()
    assert models.FlowRun.objects.filter(pk=run.id).exists()
    missing = call(client, "get", f"/task_runs/{task.id}")
    assert missing.status_code == 404 and missing.json() == {"detail": "Task not found"}
    assert call(client, "delete", f"/task_runs/{task.id}").json() == {"detail": "Task not found"}


def test_filter_task_runs(client):
    flow = new_flow("etl")
    run = new_flow_run(flow, tags=["prod"])
    a = new_task_run(run, name="a", tags=["x", "y"], initial=state("RUNNING"))
    b = new_task_run(run, name="b", tags=["x"], initial=state("COMPLETED"))
    other = new_flow_run(new_flow("other"))
    c = new_task_run(other, name="c")
    # A Pending subflow of c: its state is mirrored onto c, which is Pending already.
    new_flow_run(flow, name="sub", parent_task_run_id=str(c.id))

    def matching(body):
        return sorted(names(post(client, "/task_runs/filter", body)))

    assert matching({}) == ["a", "b", "c"]
    assert matching({"task_runs": {"id": {"any_": [str(a.id), str(c.id)]}}}) == ["a", "c"]
    assert matching({"task_runs": {"name": {"like_": "B"}}}) == ["b"]
    assert matching({"task_runs": {"tags": {"all_": ["x", "y"]}}}) == ["a"]
    assert matching({"task_runs": {"tags": {"is_null_": True}}}) == ["c"]
    assert matching({"task_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}) == ["b"]
    assert matching({"task_runs": {"state": {"name": {"any_": ["Pending"]}}}}) == ["c"]
    assert matching({"task_runs": {"start_time": {"is_null_": False}}}) == ["a"]
    assert matching({"task_runs": {"subflow_runs": {"exists_": True}}}) == ["c"]
    assert matching({"task_runs": {"subflow_runs": {"exists_": False}}}) == ["a", "b"]
    assert matching({"task_runs": {"operator": "or_", "name": {"any_": ["c"]}, "tags": {"all_": ["y"]}}}) == ["a", "c"]
    assert matching({"flows": {"name": {"any_": ["other"]}}}) == ["c"]
    assert matching({"flow_runs": {"tags": {"all_": ["prod"]}}}) == ["a", "b"]
    deployment = new_deployment(flow, "d")
    set_columns(run, deployment_id=deployment.id)
    assert matching({"deployments": {"id": {"any_": [str(deployment.id)]}}}) == ["a", "b"]
    assert post(client, "/task_runs/count", {"flows": {"name": {"any_": ["etl"]}}}).json() == 2
    assert post(client, "/task_runs/count").json() == 3
    assert post(client, "/task_runs/filter", {"task_runs": {"subflow_runs": {"exists_": True, "x": 1}}}).status_code == 422


def test_task_run_sorts_and_pages(client):
    run = new_flow_run()
    now = timezone.now()
    tasks = {name: new_task_run(run, name=name) for name in ("a", "b", "c")}
    for name, hours in (("a", 2), ("b", 1), ("c", 3)):
        at = now + dt.timedelta(hours=hours)
        set_columns(tasks[name], expected_start_time=at, next_scheduled_start_time=at, end_time=at)

    def order(sort):
        return names(post(client, "/task_runs/filter", {"sort": sort}))

    assert order("NAME_ASC") == ["a", "b", "c"]
    assert order("NAME_DESC") == ["c", "b", "a"]
    assert order("EXPECTED_START_TIME_ASC") == ["b", "a", "c"]
    assert order("EXPECTED_START_TIME_DESC") == ["c", "a", "b"]
    assert order("NEXT_SCHEDULED_START_TIME_ASC") == ["b", "a", "c"]
    assert order("END_TIME_DESC") == ["c", "a", "b"]
    by_id = sorted((str(task.id) for task in tasks.values()), key=uuid.UUID, reverse=True)
    assert ids(post(client, "/task_runs/filter")) == by_id
    assert ids(post(client, "/task_runs/filter", {"limit": 1, "offset": 2})) == by_id[2:]
    assert post(client, "/task_runs/filter", {"limit": 201}).json() == {"detail": "Invalid limit: must be less than or equal to 200."}


def test_filter_task_runs_query_count_does_not_grow_with_page_size(client):
    run = new_flow_run()
    for index in range(10):
        new_task_run(run, initial=state("COMPLETED", data={"type": "literal", "value": index}))
    small_count, small = count_queries(client, "post", "/task_runs/filter", {"limit": 2, "flow_runs": {}})
    large_count, large = count_queries(client, "post", "/task_runs/filter", {"limit": 10, "flow_runs": {}})
    assert len(small.json()) == 2 and len(large.json()) == 10
    assert {task["state"]["data"]["type"] for task in large.json()} == {"literal"}
    assert small_count == large_count


def test_task_run_history(client):
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    run = new_flow_run()
    task = new_task_run(run, initial=state("COMPLETED"))
    set_columns(task, expected_start_time=start + dt.timedelta(minutes=5), total_run_time=dt.timedelta(seconds=2))
    body = {"history_start": start.isoformat(), "history_end": (start + dt.timedelta(minutes=20)).isoformat(), "history_interval_seconds": 600}
    history = post(client, "/task_runs/history", body).json()
    assert len(history) == 2
    assert history[0]["states"] == [
        {"state_type": "COMPLETED", "state_name": "Completed", "count_runs": 1, "sum_estimated_run_time": 2.0, "sum_estimated_lateness": 0.0}
    ]
    assert history[1]["states"] == []
    no_match = post(client, "/task_runs/history", {**body, "flows": {"name": {"any_": ["nope"]}}}).json()
    assert all(bucket["states"] == [] for bucket in no_match)
    too_small = post(client, "/task_runs/history", {**body, "history_interval_seconds": 0})
    assert too_small.json() == {"detail": "History interval must not be less than 1 second."}


def test_task_run_set_state_route(client):
    task = new_task_run(new_flow_run(initial=state("RUNNING")))
    response = post(client, f"/task_runs/{task.id}/set_state", {"state": {"type": "RUNNING"}})
    assert response.status_code == 201 and response.json()["status"] == "ACCEPT"
    assert response.json()["state"]["state_details"]["task_run_id"] == str(task.id)
    missing_id = uuid.uuid4()
    missing = post(client, f"/task_runs/{missing_id}/set_state", {"state": {"type": "RUNNING"}})
    assert missing.status_code == 404 and "exception_message" in missing.json()
