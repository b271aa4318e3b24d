"""``/deployments``: upsert with work-queue resolution, read, filter, count, update, delete,
schedule control, auto-scheduled runs and runs created from a deployment."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from api import models
from api.crud import deployments as deployments_crud
from api.crud import scheduling
from tests.fixtures.http import call, count_queries, names, post
from tests.fixtures.rows import new_flow, new_flow_run, scheduled

pytestmark = pytest.mark.django_db

HOURLY = {"interval": 3600.0, "anchor_date": "2026-01-01T00:00:00+00:00", "timezone": "UTC"}


def make_deployment(client, flow=None, name="dep", **fields):
    flow = flow or new_flow()
    response = post(client, "/deployments/", {"name": name, "flow_id": str(flow.id), **fields})
    assert response.status_code in (200, 201), response.content
    return response.json()


def scheduled_runs(deployment_id):
    return models.FlowRun.objects.filter(deployment_id=deployment_id, state_type="SCHEDULED")


def test_create_then_upsert_keeps_the_id(client):
    flow = new_flow("etl")
    body = {"name": "nightly", "flow_id": str(flow.id), "tags": ["a"], "parameters": {"x": 1}, "schedule": HOURLY}
    first = post(client, "/deployments/", body)
    assert first.status_code == 201
    created = first.json()
    assert created["schedule"] == HOURLY | {"anchor_date": "2026-01-01T00:00:00.000000+00:00"}
    assert created["is_schedule_active"] is True and created["tags"] == ["a"]
    assert created["work_queue_name"] is None and created["work_pool_name"] is None
    assert created["infra_overrides"] == {} and created["created_by"] is None

    again = post(client, "/deployments/", {"name": "nightly", "flow_id": str(flow.id), "tags": ["b"]})
    assert again.status_code == 200
    updated = again.json()
    assert updated["id"] == created["id"] and updated["created"] == created["created"]
    # Keys not sent keep their values.
    assert updated["tags"] == ["b"]
    assert updated["parameters"] == {"x": 1} and updated["schedule"] == created["schedule"]


def test_create_validation_and_conflicts(client):
    flow = new_flow()
    assert post(client, "/deployments/", {"name": "a/b", "flow_id": str(flow.id)}).status_code == 422
    assert post(client, "/deployments/", {"name": "d", "flow_id": str(flow.id), "bogus": 1}).status_code == 422
    legacy = post(client, "/deployments/", {"name": "d", "flow_id": str(flow.id), "worker_pool_queue_name": "x"})
    assert legacy.status_code == 201
    bad_schedule = post(client, "/deployments/", {"name": "d", "flow_id": str(flow.id), "schedule": {"cron": "nope"}})
    assert bad_schedule.status_code == 422
    assert post(client, "/deployments/", {"name": "d", "flow_id": str(uuid.uuid4())}).status_code == 409

    missing_pool = post(client, "/deployments/", {"name": "d", "flow_id": str(flow.id), "work_pool_name": "nope"})
    assert missing_pool.status_code == 404 and missing_pool.json() == {"detail": 'Work pool "nope" not found.'}

    missing_block = post(
        client, "/deployments/", {"name": "d", "flow_id": str(flow.id), "infrastructure_document_id": str(uuid.uuid4())}
    )
    assert missing_block.status_code == 409
    assert "Could not find infrastructure block with id" in missing_block.json()["detail"]


def test_infra_overrides_are_checked_against_the_pool_template(client):
    template = {
        "job_configuration": {"image": "{{ image }}", "cpu": "{{ cpu }}"},
        "variables": {
            "type": "object",
            "required": ["image", "cpu"],
            "properties": {"image": {"type": "string"}, "cpu": {"type": "integer", "default": 1}},
        },
    }
    post(client, "/work_pools/", {"name": "k8s", "type": "kubernetes", "base_job_template": template})
    flow = new_flow()
    base = {"name": "d", "flow_id": str(flow.id), "work_pool_name": "k8s"}
    refused = post(client, "/deployments/", {**base, "infra_overrides": {"cpu": 2}})
    assert refused.status_code == 409 and refused.json()["detail"].startswith("Error creating deployment: ")
    wrong_type = post(client, "/deployments/", {**base, "infra_overrides": {"image": 5}})
    assert wrong_type.status_code == 409
    accepted = post(client, "/deployments/", {**base, "infra_overrides": {"image": "python:3.11"}})
    assert accepted.status_code == 201
    assert accepted.json()["work_pool_name"] == "k8s" and accepted.json()["work_queue_name"] == "default"


def test_work_queue_resolution(client):
    flow = new_flow()
    agent = make_deployment(client, flow, "agent", work_queue_name="etl")
    assert agent["work_queue_name"] == "etl" and agent["work_pool_name"] == "default-agent-pool"

    post(client, "/work_pools/", {"name": "p"})
    pooled = make_deployment(client, flow, "pooled", work_pool_name="p", work_queue_name="q")
    assert pooled["work_pool_name"] == "p" and pooled["work_queue_name"] == "q"
    assert call(client, "get", "/work_pools/p/queues/q").status_code == 200
    # A queue of the same name is also ensured in default-agent-pool.
    assert call(client, "get", "/work_queues/name/q").status_code == 200

    pool_only = make_deployment(client, flow, "pool-only", work_pool_name="p")
    assert pool_only["work_queue_name"] == "default" and pool_only["work_pool_name"] == "p"


def test_read_by_id_and_name(client):
    flow = new_flow("my-flow")
    deployment = make_deployment(client, flow, "my-dep")
    assert call(client, "get", f"/deployments/{deployment['id']}").json() == deployment
    assert call(client, "get", "/deployments/name/my-flow/my-dep").json()["id"] == deployment["id"]
    missing = call(client, "get", f"/deployments/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json() == {"detail": "Deployment not found"}
    assert call(client, "get", "/deployments/name/my-flow/nope").status_code == 404
    assert call(client, "get", "/deployments/not-a-uuid").status_code == 422


def test_filter_count_and_sort(client):
    flow_a, flow_b = new_flow("flow-a"), new_flow("flow-b")
    make_deployment(client, flow_a, "beta", tags=["x"], is_schedule_active=False)
    make_deployment(client, flow_b, "alpha", tags=["x", "y"], work_queue_name="wq")
    make_deployment(client, flow_b, "gamma")

    assert names(post(client, "/deployments/filter", {})) == ["alpha", "beta", "gamma"]
    assert names(post(client, "/deployments/filter", {"sort": "NAME_DESC", "limit": 2})) == ["gamma", "beta"]
    assert names(post(client, "/deployments/filter", {"deployments": {"tags": {"all_": ["x", "y"]}}})) == ["alpha"]
    by_flow = post(client, "/deployments/filter", {"flows": {"name": {"any_": ["flow-a"]}}})
    assert names(by_flow) == ["beta"]
    active = post(client, "/deployments/filter", {"deployments": {"is_schedule_active": {"eq_": False}}})
    assert names(active) == ["beta"]
    by_pool = post(client, "/deployments/filter", {"work_pools": {"name": {"any_": ["default-agent-pool"]}}})
    assert names(by_pool) == ["alpha"]

    assert post(client, "/deployments/count", {}).json() == 3
    assert post(client, "/deployments/count", {"deployments": {"name": {"like_": "ALP"}}}).json() == 1
    assert post(client, "/deployments/filter", {"limit": 201}).status_code == 422
    assert post(client, "/deployments/filter", {"deployments": {"bogus": {}}}).status_code == 422


def test_filter_query_count_does_not_grow(client):
    flow = new_flow()
    make_deployment(client, flow, "d0", work_queue_name="q")
    few, response = count_queries(client, "post", "/deployments/filter", {})
    assert len(response.json()) == 1
    for index in range(1, 8):
        make_deployment(client, flow, f"d{index}", work_queue_name="q")
    many, response = count_queries(client, "post", "/deployments/filter", {})
    assert len(response.json()) == 8 and many == few


def test_update_deployment(client):
    flow = new_flow()
    deployment = make_deployment(client, flow, "d", schedule=HOURLY, description="old")
    response = call(client, "patch", f"/deployments/{deployment['id']}", {"description": "new", "work_queue_name": "w"})
    assert response.status_code == 204
    updated = call(client, "get", f"/deployments/{deployment['id']}").json()
    assert updated["description"] == "new" and updated["schedule"] == deployment["schedule"]
    assert updated["work_queue_name"] == "w" and updated["work_pool_name"] == "default-agent-pool"

    call(client, "patch", f"/deployments/{deployment['id']}", {"schedule": None})
    assert call(client, "get", f"/deployments/{deployment['id']}").json()["schedule"] is None

    missing = call(client, "patch", f"/deployments/{uuid.uuid4()}", {"description": "x"})
    assert missing.status_code == 404 and missing.json() == {"detail": "Deployment not found."}
    assert call(client, "patch", f"/deployments/{deployment['id']}", {"name": "renamed"}).status_code == 422


def test_schedule_route_inserts_runs_once(client):
    deployment = make_deployment(client, name="d", schedule=HOURLY, tags=["t"], parameters={"p": 1}, work_queue_name="q")
    assert post(client, f"/deployments/{deployment['id']}/schedule", {}).status_code == 200
    runs = list(scheduled_runs(deployment["id"]).order_by("next_scheduled_start_time").select_related("state"))
    # Hourly: three runs cover the minimum hour.
    assert len(runs) == 3
    first = runs[0]
    assert first.auto_scheduled and first.tags == ["auto-scheduled", "t"] and first.parameters == {"p": 1}
    assert first.work_queue_name == "q" and str(first.work_queue_id) is not None
    assert first.idempotency_key == f"scheduled {deployment['id']} {first.next_scheduled_start_time.isoformat()}"
    assert first.state.type == "SCHEDULED" and first.state.message == "Flow run scheduled"
    assert first.state.state_details["scheduled_time"] is not None
    assert first.next_scheduled_start_time.minute == 0 and first.next_scheduled_start_time >= timezone.now()

    post(client, f"/deployments/{deployment['id']}/schedule", {})
    assert scheduled_runs(deployment["id"]).count() == 3

    # The runs read back like any run.
    read = call(client, "get", f"/flow_runs/{first.id}").json()
    assert read["state"]["name"] == "Scheduled" and read["work_queue_name"] == "q"

    more = post(
        client, f"/deployments/{deployment['id']}/schedule", {"min_runs": 5, "max_runs": 10, "min_time": 0}
    )
    assert more.status_code == 200 and scheduled_runs(deployment["id"]).count() == 5
    assert post(client, f"/deployments/{uuid.uuid4()}/schedule", {}).status_code == 200


def test_schedule_runs_is_idempotent_across_callers():
    flow = new_flow()
    deployment, _ = deployments_crud.create_deployment(
        deployments_crud.actions.DeploymentCreate(name="d", flow_id=flow.id, schedule={"interval": 60})
    )
    start = timezone.now()
    first = scheduling.schedule_runs(deployment.id, start_time=start, min_runs=3, min_time=dt.timedelta(0))
    second = scheduling.schedule_runs(deployment.id, start_time=start, min_runs=5, min_time=dt.timedelta(0))
    assert len(first) == 3 and len(second) == 2
    assert scheduled_runs(deployment.id).count() == 5


def test_changes_drop_auto_scheduled_runs_only(client):
    deployment = make_deployment(client, name="d", schedule=HOURLY)
    post(client, f"/deployments/{deployment['id']}/schedule", {})
    manual = post(
        client,
        f"/deployments/{deployment['id']}/create_flow_run",
        {"state": {"type": "SCHEDULED", "state_details": {"scheduled_time": timezone.now().isoformat()}}},
    ).json()
    assert scheduled_runs(deployment["id"]).count() == 4

    call(client, "patch", f"/deployments/{deployment['id']}", {"description": "changed"})
    assert [str(run.id) for run in scheduled_runs(deployment["id"])] == [manual["id"]]

    post(client, f"/deployments/{deployment['id']}/schedule", {})
    assert post(client, f"/deployments/{deployment['id']}/set_schedule_inactive").status_code == 200
    assert scheduled_runs(deployment["id"]).count() == 1
    assert call(client, "get", f"/deployments/{deployment['id']}").json()["is_schedule_active"] is False
    # An inactive schedule produces nothing.
    post(client, f"/deployments/{deployment['id']}/schedule", {})
    assert scheduled_runs(deployment["id"]).count() == 1

    active = post(client, f"/deployments/{deployment['id']}/set_schedule_active")
    assert active.status_code == 200 and active.json() is None
    assert call(client, "get", f"/deployments/{deployment['id']}").json()["is_schedule_active"] is True
    assert post(client, f"/deployments/{uuid.uuid4()}/set_schedule_active").status_code == 404
    assert post(client, f"/deployments/{uuid.uuid4()}/set_schedule_inactive").status_code == 404


def test_delete_removes_all_scheduled_runs(client):
    deployment = make_deployment(client, name="d", schedule=HOURLY)
    post(client, f"/deployments/{deployment['id']}/schedule", {})
    started = new_flow_run(initial=scheduled(timezone.now()), deployment_id=deployment["id"])
    models.FlowRun.objects.filter(pk=started.pk).update(state_type="RUNNING")
    assert call(client, "delete", f"/deployments/{deployment['id']}").status_code == 204
    assert not scheduled_runs(deployment["id"]).exists()
    assert models.FlowRun.objects.filter(pk=started.pk).exists()
    assert call(client, "get", f"/deployments/{deployment['id']}").status_code == 404
    assert call(client, "delete", f"/deployments/{deployment['id']}").status_code == 404


def test_create_flow_run_from_deployment(client):
    deployment = make_deployment(
        client, name="d", parameters={"a": 1, "b": 2}, tags=["dep"], work_queue_name="q"
    )
    body = {"parameters": {"b": 3}, "tags": ["run"], "idempotency_key": "once"}
    created = post(client, f"/deployments/{deployment['id']}/create_flow_run", body)
    assert created.status_code == 201
    run = created.json()
    assert run["parameters"] == {"a": 1, "b": 3} and set(run["tags"]) == {"dep", "run"}
    assert run["deployment_id"] == deployment["id"] and run["flow_id"] == deployment["flow_id"]
    assert run["work_queue_name"] == "q" and run["work_pool_name"] == "default-agent-pool"
    assert run["state"]["type"] == "PENDING"

    again = post(client, f"/deployments/{deployment['id']}/create_flow_run", body)
    assert again.status_code == 200 and again.json()["id"] == run["id"]

    missing = post(client, f"/deployments/{uuid.uuid4()}/create_flow_run", {})
    assert missing.status_code == 404 and missing.json() == {"detail": "Deployment not found"}
    assert post(client, f"/deployments/{deployment['id']}/create_flow_run", {"bogus": 1}).status_code == 422


def test_work_queue_check(client):
    deployment = make_deployment(client, name="d", tags=["etl", "prod"])
    post(client, "/work_queues/", {"name": "legacy-match", "filter": {"tags": ["etl"]}})
    post(client, "/work_queues/", {"name": "legacy-miss", "filter": {"tags": ["other"]}})
    response = call(client, "get", f"/deployments/{deployment['id']}/work_queue_check")
    assert response.status_code == 200
    assert "legacy-match" in names(response) and "legacy-miss" not in names(response)
    assert call(client, "get", f"/deployments/{uuid.uuid4()}/work_queue_check").status_code == 404
