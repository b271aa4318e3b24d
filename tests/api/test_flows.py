"""``/flows``: create-or-get, read, rename tags, filter (with the other objects' filters),
count, delete."""

from __future__ import annotations

import uuid

import pytest

from api import models
from tests.fixtures.http import call, count_queries, names, post
from tests.fixtures.rows import new_deployment, new_flow, new_flow_run, new_task_run, state

pytestmark = pytest.mark.django_db


def test_create_flow_answers_201_then_200_with_the_existing_flow(client):
    first = post(client, "/flows/", {"name": "etl", "tags": ["a"]})
    assert first.status_code == 201
    body = first.json()
    assert body["name"] == "etl" and body["tags"] == ["a"]
    assert body["created"].endswith("+00:00") and len(body["created"].split(".")[1]) == 12

    again = post(client, "/flows/", {"name": "etl", "tags": ["other"]})
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert again.json()["tags"] == ["a"]


def test_create_flow_validates_its_body(client):
    bad_name = post(client, "/flows/", {"name": "bad/name"})
    assert bad_name.status_code == 422
    assert bad_name.json()["exception_detail"][0]["type"] == "value_error.invalidname"

    extra = post(client, "/flows/", {"name": "ok", "bogus": 1})
    assert extra.status_code == 422
    assert extra.json()["exception_detail"][0]["msg"] == "extra fields not permitted"

    defaults = post(client, "/flows/", {"name": "nulls", "tags": None})
    assert defaults.status_code == 201 and defaults.json()["tags"] == []


def test_read_flow_by_id_and_name(client):
    flow = new_flow("reader")
    assert call(client, "get", f"/flows/{flow.id}").json()["name"] == "reader"
    assert call(client, "get", "/flows/name/reader").json()["id"] == str(flow.id)

    missing = call(client, "get", f"/flows/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json() == {"detail": "Flow not found"}
    assert call(client, "get", "/flows/name/nope").json() == {"detail": "Flow not found"}
    assert call(client, "get", "/flows/not-a-uuid").status_code == 422


def test_update_flow_tags(client):
    flow = new_flow(tags=["old"])
    response = call(client, "patch", f"/flows/{flow.id}", {"tags": ["new"]})
    assert response.status_code == 204 and response.content == b""
    flow.refresh_from_db()
    assert flow.tags == ["new"] and flow.updated > flow.created

    assert call(client, "patch", f"/flows/{uuid.uuid4()}", {"tags": []}).status_code == 404
    assert call(client, "patch", f"/flows/{flow.id}", {"name": "x"}).status_code == 422


def test_filter_flows_by_name_and_tags(client):
    new_flow("alpha", tags=["x", "y"])
    new_flow("beta", tags=["x"])
    new_flow("gamma")

    assert names(post(client, "/flows/filter")) == ["alpha", "beta", "gamma"]
    assert names(post(client, "/flows/filter", {"flows": {"name": {"any_": ["beta"]}}})) == ["beta"]
    assert names(post(client, "/flows/filter", {"flows": {"name": {"like_": "MM"}}})) == ["gamma"]
    assert names(post(client, "/flows/filter", {"flows": {"tags": {"all_": ["x", "y"]}}})) == ["alpha"]
    assert names(post(client, "/flows/filter", {"flows": {"tags": {"all_": ["x"]}}})) == ["alpha", "beta"]
    assert names(post(client, "/flows/filter", {"flows": {"tags": {"is_null_": True}}})) == ["gamma"]
    assert names(post(client, "/flows/filter", {"flows": {"tags": {"is_null_": False}}})) == ["alpha", "beta"]
    either = {"flows": {"operator": "or_", "name": {"any_": ["gamma"]}, "tags": {"all_": ["y"]}}}
    assert names(post(client, "/flows/filter", either)) == ["alpha", "gamma"]
    assert names(post(client, "/flows/filter", {"flows": {"id": {"any_": []}}})) == []


def test_filter_flows_sorts_and_pages(client):
    for name in ("b", "a", "c"):
        new_flow(name)
    assert names(post(client, "/flows/filter", {"sort": "NAME_DESC"})) == ["c", "b", "a"]
    assert names(post(client, "/flows/filter", {"sort": "CREATED_DESC"})) == ["c", "a", "b"]
    models.Flow.objects.filter(name="a").update(tags=["t"])
    call(client, "patch", f"/flows/{models.Flow.objects.get(name='b').id}", {"tags": ["t"]})
    assert names(post(client, "/flows/filter", {"sort": "UPDATED_DESC"}))[0] == "b"
    assert names(post(client, "/flows/filter", {"limit": 1, "offset": 1, "sort": None})) == ["b"]


def test_filter_flows_by_their_runs_task_runs_and_deployments(client):
    with_run = new_flow("with-run")
    run = new_flow_run(with_run, tags=["prod"])
    new_task_run(run, initial=state("COMPLETED"))
    deployed = new_flow("deployed")
    new_deployment(deployed, "d", tags=["nightly"])
    new_flow("idle")

    body = {"flow_runs": {"tags": {"all_": ["prod"]}}}
    assert names(post(client, "/flows/filter", body)) == ["with-run"]
    body = {"task_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}
    assert names(post(client, "/flows/filter", body)) == ["with-run"]
    body = {"task_runs": {"state": {"type": {"any_": ["FAILED"]}}}}
    assert names(post(client, "/flows/filter", body)) == []
    body = {"deployments": {"tags": {"all_": ["nightly"]}}}
    assert names(post(client, "/flows/filter", body)) == ["deployed"]
    assert post(client, "/flows/count", body).json() == 1
    assert post(client, "/flows/count").json() == 3


def test_filter_body_rules(client):
    new_flow("only")
    ignored = post(client, "/flows/filter", {"flows": None, "unknown_key": 1, "limit": None})
    assert names(ignored) == ["only"]

    nested = post(client, "/flows/filter", {"flows": {"name": {"bad_": 1}}})
    assert nested.status_code == 422
    assert nested.json()["exception_detail"][0]["loc"] == ["body", "flows", "name", "bad_"]

    too_many = post(client, "/flows/filter", {"limit": 201})
    assert too_many.status_code == 422
    assert too_many.json() == {"detail": "Invalid limit: must be less than or equal to 200."}
    negative = post(client, "/flows/filter", {"limit": -1})
    assert negative.json() == {"detail": "Invalid limit: must be greater than or equal to 0."}
    assert post(client, "/flows/filter", {"offset": -1}).status_code == 422
    assert post(client, "/flows/filter", {"sort": "BOGUS"}).status_code == 422


def test_delete_flow_removes_its_runs_and_their_logs(client):
    flow = new_flow()
    run = new_flow_run(flow)
    new_task_run(run)
    post(client, "/logs/", [{"name": "l", "level": 20, "message": "m", "timestamp": "2024-01-01T00:00:00Z", "flow_run_id": str(run.id)}])

    assert call(client, "delete", f"/flows/{flow.id}").status_code == 204
    assert not models.FlowRun.objects.exists()
    assert not models.TaskRun.objects.exists()
    assert not models.FlowRunState.objects.exists()
    assert not models.Log.objects.exists()
    assert call(client, "delete", f"/flows/{flow.id}").json() == {"detail": "Flow not found"}


def test_delete_flow_query_count_does_not_grow_with_its_runs(client):
    def flow_with_runs(count: int):
        flow = new_flow()
        new_deployment(flow, "d")
        for _ in range(count):
            run = new_flow_run(flow, initial=state("RUNNING"))
            new_task_run(run, initial=state("COMPLETED"))
        return flow

    small, large = flow_with_runs(1), flow_with_runs(8)
    small_count, response = count_queries(client, "delete", f"/flows/{small.id}")
    assert response.status_code == 204
    large_count, response = count_queries(client, "delete", f"/flows/{large.id}")
    assert response.status_code == 204
    assert small_count == large_count
    assert not models.FlowRun.objects.exists() and not models.TaskRunState.objects.exists()
    assert not models.Deployment.objects.exists()
