"""``/flow_runs``: idempotent create with an initial state, read, update, filter (every
criterion, the other objects' filters, every sort), count, history, graph, delete, and
the thin state routes."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from api import models
from api.utilities.server import INTEGRITY_DETAIL
from tests.fixtures.http import call, count_queries, ids, names, post
from tests.fixtures.rows import (
    ago,
    new_deployment,
    new_flow,
    new_flow_run,
    new_task_run,
    new_work_queue,
    scheduled,
    set_columns,
    state,
)

pytestmark = pytest.mark.django_db


def test_create_flow_run_defaults_to_pending_with_a_generated_name(client):
    flow = new_flow()
    response = post(client, "/flow_runs/", {"flow_id": str(flow.id)})
    assert response.status_code == 201
    run = response.json()
    adjective, animal = run["name"].split("-")
    assert adjective and animal
    assert run["state"]["type"] == "PENDING" and run["state"]["name"] == "Pending"
    assert run["state_type"] == "PENDING" and run["state_id"] == run["state"]["id"]
    assert run["state"]["state_details"]["flow_run_id"] == run["id"]
    assert run["empirical_policy"] == {
        "max_retries": 0, "retry_delay_seconds": 0.0, "retries": None, "retry_delay": None,
        "pause_keys": [], "resuming": False,
    }
    assert "work_queue_id" not in run and run["work_pool_name"] is None
    assert isinstance(run["total_run_time"], float) and isinstance(run["estimated_start_time_delta"], float)


def test_create_flow_run_with_a_scheduled_state(client):
    flow = new_flow()
    at = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    body = {"flow_id": str(flow.id), "name": "later", "state": {"type": "SCHEDULED", "state_details": {"scheduled_time": at}}}
    run = post(client, "/flow_runs/", body).json()
    assert run["name"] == "later" and run["state_name"] == "Scheduled"
    assert run["expected_start_time"] == run["next_scheduled_start_time"] == dt.datetime.fromisoformat(at).isoformat(timespec="microseconds")


def test_create_flow_run_is_idempotent_per_flow_and_key(client):
    flow = new_flow()
    body = {"flow_id": str(flow.id), "idempotency_key": "k1"}
    first = post(client, "/flow_runs/", body)
    second = post(client, "/flow_runs/", {**body, "state": {"type": "RUNNING"}})
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["state_type"] == "PENDING"
    other_flow = post(client, "/flow_runs/", {"flow_id": str(new_flow().id), "idempotency_key": "k1"})
    assert other_flow.status_code == 201 and other_flow.json()["id"] != first.json()["id"]


def test_create_flow_run_errors(client):
    unknown = post(client, "/flow_runs/", {"flow_id": str(uuid.uuid4())})
    assert unknown.status_code == 409 and unknown.json() == {"detail": INTEGRITY_DETAIL}
    assert not models.FlowRun.objects.exists()
    extra = post(client, "/flow_runs/", {"flow_id": str(new_flow().id), "nope": 1})
    assert extra.status_code == 422 and extra.json()["exception_detail"][0]["loc"] == ["body", "nope"]
    assert post(client, "/flow_runs/", {}).status_code == 422


def test_read_flow_run_shows_its_queue_and_pool(client):
    queue = new_work_queue("pool-a", "queue-a")
    run = new_flow_run()
    set_columns(run, work_queue=queue, work_queue_name="stale")
    body = call(client, "get", f"/flow_runs/{run.id}").json()
    assert body["work_queue_name"] == "queue-a" and body["work_pool_name"] == "pool-a"
    missing = call(client, "get", f"/flow_runs/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json() == {"detail": "Flow run not found"}


def test_read_flow_run_shows_result_data_of_its_state(client):
    run = new_flow_run(initial=state("RUNNING"))
    result = {"type": "literal", "value": 3}
    response = post(client, f"/flow_runs/{run.id}/set_state", {"state": {"type": "COMPLETED", "data": {**result, "artifact_type": "result"}}})
    assert response.status_code == 201 and response.json()["status"] == "ACCEPT"
    assert call(client, "get", f"/flow_runs/{run.id}").json()["state"]["data"] == result


def test_update_flow_run_writes_only_the_keys_sent(client):
    run = new_flow_run(name="before", parameters={"a": 1}, tags=["t"])
    response = call(client, "patch", f"/flow_runs/{run.id}", {"name": "after", "infrastructure_pid": "42"})
    assert response.status_code == 204
    body = call(client, "get", f"/flow_runs/{run.id}").json()
    assert (body["name"], body["infrastructure_pid"], body["parameters"], body["tags"]) == ("after", "42", {"a": 1}, ["t"])
    call(client, "patch", f"/flow_runs/{run.id}", {"parameters": {"b": 2}, "empirical_policy": {"retries": 3}})
    body = call(client, "get", f"/flow_runs/{run.id}").json()
    assert body["parameters"] == {"b": 2} and body["empirical_policy"]["retries"] == 3
    assert call(client, "patch", f"/flow_runs/{uuid.uuid4()}", {"name": "x"}).json() == {"detail": "Flow run not found"}
    assert call(client, "patch", f"/flow_runs/{run.id}", {"flow_id": str(uuid.uuid4())}).status_code == 422


def test_filter_flow_runs_by_their_own_columns(client):
    flow = new_flow()
    parent_run = new_flow_run(flow, name="parent")
    parent_task = new_task_run(parent_run)
    a = new_flow_run(flow, name="a-run", tags=["x", "y"], flow_version="1", initial=state("RUNNING"))
    b = new_flow_run(flow, name="b-run", tags=["x"], parent_task_run_id=str(parent_task.id), initial=scheduled(ago(hours=-1)))
    deployment_id = uuid.uuid4()
    set_columns(b, deployment_id=deployment_id, work_queue_name="q")

    def matching(flow_runs):
        return sorted(names(post(client, "/flow_runs/filter", {"flow_runs": flow_runs})))

    assert matching({"id": {"any_": [str(a.id)]}}) == ["a-run"]
    assert matching({"id": {"not_any_": [str(a.id), str(parent_run.id)]}}) == ["b-run"]
    assert matching({"name": {"any_": ["b-run"]}}) == ["b-run"]
    assert matching({"name": {"like_": "-RUN"}}) == ["a-run", "b-run"]
    assert matching({"tags": {"all_": ["x", "y"]}}) == ["a-run"]
    assert matching({"tags": {"is_null_": True}}) == ["parent"]
    assert matching({"deployment_id": {"any_": [str(deployment_id)]}}) == ["b-run"]
    assert matching({"deployment_id": {"is_null_": False}}) == ["b-run"]
    assert matching({"work_queue_name": {"any_": ["q"]}}) == ["b-run"]
    assert matching({"work_queue_name": {"is_null_": True}}) == ["a-run", "parent"]
    assert matching({"state": {"type": {"any_": ["RUNNING"]}}}) == ["a-run"]
    assert matching({"state": {"name": {"any_": ["Scheduled", "Pending"]}}}) == ["b-run", "parent"]
    both = {"type": {"any_": ["RUNNING"]}, "name": {"any_": ["Scheduled"]}}
    assert matching({"state": both}) == []
    assert matching({"state": {**both, "operator": "or_"}}) == ["a-run", "b-run"]
    assert matching({"flow_version": {"any_": ["1"]}}) == ["a-run"]
    assert matching({"start_time": {"is_null_": False}}) == ["a-run"]
    assert matching({"start_time": {"after_": ago(minutes=5).isoformat()}}) == ["a-run"]
    assert matching({"start_time": {"before_": ago(minutes=5).isoformat()}}) == []
    assert matching({"expected_start_time": {"after_": ago(minutes=-30).isoformat()}}) == ["b-run"]
    assert matching({"expected_start_time": {"before_": ago(minutes=-30).isoformat()}}) == ["a-run", "parent"]
    assert matching({"next_scheduled_start_time": {"after_": ago(minutes=5).isoformat()}}) == ["b-run"]
    assert matching({"next_scheduled_start_time": {"before_": ago(minutes=5).isoformat()}}) == []
    assert matching({"parent_task_run_id": {"any_": [str(parent_task.id)]}}) == ["b-run"]
    assert matching({"parent_task_run_id": {"is_null_": True}}) == ["a-run", "parent"]
    assert matching({"operator": "or_", "name": {"any_": ["parent"]}, "tags": {"all_": ["y"]}}) == ["a-run", "parent"]
    assert matching({"id": {"any_": []}}) == []
    assert matching({"id": {"not_any_": []}}) == ["a-run", "b-run", "parent"]


def test_filter_flow_runs_by_the_other_objects(client):
    etl = new_flow("etl", tags=["team"])
    other = new_flow("other")
    deployment = new_deployment(etl, "nightly")
    deployed = new_flow_run(etl, name="deployed")
    set_columns(deployed, deployment_id=deployment.id)
    orphan = new_flow_run(etl, name="orphan")
    set_columns(orphan, deployment_id=uuid.uuid4())
    with_task = new_flow_run(other, name="with-task")
    new_task_run(with_task, name="the-task", tags=["heavy"])
    queued = new_flow_run(other, name="queued")
    set_columns(queued, work_queue=new_work_queue("k8s-pool", "gpu", pool_type="kubernetes"))

    def matching(body):
        return sorted(names(post(client, "/flow_runs/filter", body)))

    assert matching({"flows": {"tags": {"all_": ["team"]}}}) == ["deployed", "orphan"]
    assert matching({"flows": {"name": {"any_": ["other"]}}}) == ["queued", "with-task"]
    assert matching({"deployments": {"name": {"any_": ["nightly"]}}}) == ["deployed"]
    assert matching({"deployments": {}}) == ["deployed"]
    assert matching({"task_runs": {"tags": {"all_": ["heavy"]}}}) == ["with-task"]
    assert matching({"task_runs": {"name": {"any_": ["nope"]}}}) == []
    assert matching({"work_pools": {"type": {"any_": ["kubernetes"]}}}) == ["queued"]
    assert matching({"work_pool_queues": {"name": {"startswith_": ["GP"]}}}) == ["queued"]
    assert matching({"work_pool_queues": {"name": {"any_": ["cpu"]}}}) == []
    body = {"flows": {"name": {"any_": ["other"]}}, "task_runs": {"tags": {"all_": ["heavy"]}}}
    assert matching(body) == ["with-task"]
    assert post(client, "/flow_runs/count", body).json() == 1
    assert post(client, "/flow_runs/count", {"work_pools": {"name": {"any_": ["k8s-pool"]}}}).json() == 1
    assert post(client, "/flow_runs/count").json() == 4


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("NAME_ASC", ["a", "b", "c"]),
        ("NAME_DESC", ["c", "b", "a"]),
        ("EXPECTED_START_TIME_ASC", ["b", "a", "c"]),
        ("EXPECTED_START_TIME_DESC", ["c", "a", "b"]),
        ("NEXT_SCHEDULED_START_TIME_ASC", ["b", "a", "c"]),
        ("START_TIME_ASC", ["a", "b", "c"]),
        ("START_TIME_DESC", ["c", "b", "a"]),
        ("END_TIME_DESC", ["c", "a", "b"]),
    ],
)
def test_flow_run_sorts(client, sort, expected):
    now = timezone.now()
    runs = {name: new_flow_run(name=name) for name in ("a", "b", "c")}
    hours = {"a": 2, "b": 1, "c": 3}
    for name, run in runs.items():
        expected_at = now + dt.timedelta(hours=hours[name])
        set_columns(run, expected_start_time=expected_at, next_scheduled_start_time=expected_at, end_time=expected_at)
    # START_TIME sorts by the start time, or the expected start of runs not started yet.
    set_columns(runs["a"], start_time=now)
    set_columns(runs["b"], next_scheduled_start_time=now, end_time=now)
    assert names(post(client, "/flow_runs/filter", {"sort": sort})) == expected


def test_flow_run_default_sort_is_id_desc_and_pages(client):
    runs = [new_flow_run() for _ in range(5)]
    by_id = sorted((str(run.id) for run in runs), key=uuid.UUID, reverse=True)
    assert ids(post(client, "/flow_runs/filter")) == by_id
    assert ids(post(client, "/flow_runs/filter", {"limit": 2, "offset": 1})) == by_id[1:3]
    assert ids(post(client, "/flow_runs/filter", {"limit": 0})) == []
    assert post(client, "/flow_runs/filter", {"limit": 500}).json() == {"detail": "Invalid limit: must be less than or equal to 200."}
    nested = post(client, "/flow_runs/filter", {"flow_runs": {"state": {"type": {"all_": []}}}})
    assert nested.json()["exception_detail"][0]["loc"] == ["body", "flow_runs", "state", "type", "all_"]


def _make_runs_for_paging(count: int) -> None:
    flow = new_flow()
    queue = new_work_queue("pool", "queue")
    for index in range(count):
        run = new_flow_run(flow, initial=state("COMPLETED", data={"type": "literal", "value": index}), tags=["paged"])
        set_columns(run, work_queue=queue)
        new_task_run(run)


def test_filter_flow_runs_query_count_does_not_grow_with_page_size(client):
    _make_runs_for_paging(12)
    body = {"flow_runs": {"tags": {"all_": ["paged"]}}, "task_runs": {}, "work_pools": {}}
    small_count, small = count_queries(client, "post", "/flow_runs/filter", {**body, "limit": 2})
    large_count, large = count_queries(client, "post", "/flow_runs/filter", {**body, "limit": 12})
    assert len(small.json()) == 2 and len(large.json()) == 12
    assert all(run["work_pool_name"] == "pool" and run["state"]["data"]["type"] == "literal" for run in large.json())
    assert large_count == small_count


def test_flow_run_history_buckets_runs_by_expected_start(client):
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    early = new_flow_run(initial=state("COMPLETED"))
    late = new_flow_run(initial=state("FAILED"))
    running = new_flow_run(initial=state("RUNNING"))
    set_columns(early, expected_start_time=start + dt.timedelta(minutes=10), total_run_time=dt.timedelta(seconds=30))
    set_columns(late, expected_start_time=start + dt.timedelta(minutes=70), start_time=start + dt.timedelta(minutes=72))
    set_columns(running, expected_start_time=start + dt.timedelta(minutes=80))
    body = {"history_start": start.isoformat(), "history_end": (start + dt.timedelta(hours=2)).isoformat(), "history_interval_seconds": 3600}
    history = post(client, "/flow_runs/history", body).json()

    assert [bucket["interval_start"] for bucket in history] == [
        start.isoformat(timespec="microseconds"), (start + dt.timedelta(hours=1)).isoformat(timespec="microseconds")
    ]
    assert history[0]["interval_end"] == history[1]["interval_start"]
    assert history[0]["states"] == [
        {"state_type": "COMPLETED", "state_name": "Completed", "count_runs": 1, "sum_estimated_run_time": 30.0, "sum_estimated_lateness": 0.0}
    ]
    second = {entry["state_type"]: entry for entry in history[1]["states"]}
    assert set(second) == {"FAILED", "RUNNING"}
    assert second["FAILED"]["sum_estimated_lateness"] == 120.0
    assert second["RUNNING"]["count_runs"] == 1 and second["RUNNING"]["sum_estimated_run_time"] >= 0

    filtered = post(client, "/flow_runs/history", {**body, "flow_runs": {"state": {"type": {"any_": ["FAILED"]}}}}).json()
    assert [len(bucket["states"]) for bucket in filtered] == [0, 1]


def test_flow_run_history_interval_rules(client):
    body = {"history_start": "2024-01-01T00:00:00Z", "history_end": "2024-01-02T00:00:00Z"}
    too_small = post(client, "/flow_runs/history", {**body, "history_interval_seconds": 0.5})
    assert too_small.status_code == 422
    assert too_small.json() == {"detail": "History interval must not be less than 1 second."}
    capped = post(client, "/flow_runs/history", {**body, "history_interval_seconds": 60}).json()
    assert len(capped) == 500
    uneven = post(client, "/flow_runs/history", {**body, "history_interval_seconds": 50000}).json()
    assert uneven[-1]["interval_end"] == "2024-01-02T03:46:40.000000+00:00"
    assert post(client, "/flow_runs/history", body).status_code == 422


def test_flow_run_graph_lists_task_runs_with_upstream_results(client):
    run = new_flow_run()
    upstream = new_task_run(run, initial=state("COMPLETED"))
    downstream = new_task_run(
        run, task_inputs={"x": [{"input_type": "task_run", "id": str(upstream.id)}], "y": [{"input_type": "parameter", "name": "p"}]}
    )
    graph = {node["id"]: node for node in call(client, "get", f"/flow_runs/{run.id}/graph").json()}
    assert set(graph) == {str(upstream.id), str(downstream.id)}
    assert graph[str(downstream.id)]["upstream_dependencies"] == [{"input_type": "task_run", "id": str(upstream.id)}]
    assert graph[str(upstream.id)]["state"]["type"] == "COMPLETED"
    assert graph[str(upstream.id)]["untrackable_result"] is False
    missing_id = uuid.uuid4()
    missing = call(client, "get", f"/flow_runs/{missing_id}/graph")
    assert missing.status_code == 404
    assert missing.json() == {"exception_message": f"Flow run with id {missing_id} not found"}


def test_delete_flow_run_removes_task_runs_states_and_logs(client):
    run = new_flow_run()
    keep = new_flow_run()
    new_task_run(run)
    logs = [
        {"name": "l", "level": 20, "message": "m", "timestamp": "2024-01-01T00:00:00Z", "flow_run_id": str(flow_run_id)}
        for flow_run_id in (run.id, keep.id)
    ]
    post(client, "/logs/", logs)
    assert call(client, "delete", f"/flow_runs/{run.id}").status_code == 204
    assert call(client, "get", f"/flow_runs/{run.id}").status_code == 404
    assert not models.TaskRun.objects.exists() and not models.TaskRunState.objects.exists()
    assert list(models.FlowRunState.objects.values_list("flow_run_id", flat=True)) == [keep.id]
    assert list(models.Log.objects.values_list("flow_run_id", flat=True)) == [keep.id]
    assert call(client, "delete", f"/flow_runs/{run.id}").json() == {"detail": "Flow run not found"}


def test_set_state_and_resume_routes(client):
    run = new_flow_run()
    accepted = post(client, f"/flow_runs/{run.id}/set_state", {"state": {"type": "RUNNING"}, "force": None})
    assert accepted.status_code == 201 and accepted.json()["status"] == "ACCEPT"
    assert call(client, "get", f"/flow_runs/{run.id}").json()["state_type"] == "RUNNING"

    not_paused = post(client, f"/flow_runs/{run.id}/resume")
    assert not_paused.status_code == 200
    assert not_paused.json() == {
        "state": None, "status": "ABORT",
        "details": {"type": "abort_details", "reason": "Cannot resume a flow run that is not paused."},
    }
    missing_id = uuid.uuid4()
    missing = post(client, f"/flow_runs/{missing_id}/set_state", {"state": {"type": "RUNNING"}})
    assert missing.status_code == 404
    assert missing.json() == {"exception_message": f"Flow run with id {missing_id} not found"}
    assert post(client, f"/flow_runs/{run.id}/set_state", {}).status_code == 422
    assert post(client, f"/flow_runs/{run.id}/set_state", {"state": {"type": "RUNNING", "bogus": 1}}).status_code == 422


def test_delete_flow_run_keeps_subflows_detached(client):
    parent = new_flow_run(name="parent")
    task = new_task_run(parent)
    child = new_flow_run(name="child", parent_task_run_id=str(task.id))
    assert call(client, "delete", f"/flow_runs/{parent.id}").status_code == 204
    body = call(client, "get", f"/flow_runs/{child.id}").json()
    assert body["name"] == "child" and body["parent_task_run_id"] is None
