"""``/work_queues``: the agent-era queue API bound to ``default-agent-pool``, the runs agents
poll for, and queue health."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from api import models
from tests.fixtures.http import call, count_queries, names, post
from tests.fixtures.rows import new_flow, new_flow_run, scheduled, state

pytestmark = pytest.mark.django_db

# What the agent sends when its queue is missing.
AGENT_BODY = {
    "name": "default",
    "description": "",
    "is_paused": False,
    "concurrency_limit": None,
    "priority": None,
    "filter": None,
}


def make_queue(client, name="default", **fields):
    response = post(client, "/work_queues/", {"name": name, **fields})
    assert response.status_code == 201, response.content
    return response.json()


def test_default_agent_pool_exists_after_migrate(client):
    pool = call(client, "get", "/work_pools/default-agent-pool").json()
    assert pool["type"] == "prefect-agent" and pool["is_paused"] is False
    default = call(client, "get", "/work_queues/name/default").json()
    assert pool["default_queue_id"] == default["id"] and default["priority"] == 1
    assert default["description"] == "The work pool's default queue."
    assert [queue["name"] for queue in post(client, "/work_queues/filter", {}).json()] == ["default"]


def test_first_queue_recreates_a_deleted_default_agent_pool(client):
    assert call(client, "delete", "/work_pools/default-agent-pool").status_code == 204
    queue = make_queue(client, "agents", priority=7)
    pool = call(client, "get", "/work_pools/default-agent-pool").json()
    assert pool["type"] == "prefect-agent" and queue["work_pool_id"] == pool["id"]
    # The requested priority is ignored: the queue goes after the pool's default queue.
    assert queue["priority"] == 2
    assert call(client, "get", "/work_pools/default-agent-pool/queues/default").status_code == 200


def test_agent_asking_for_default_after_the_pool_was_deleted_finds_it_after_the_409(client):
    call(client, "delete", "/work_pools/default-agent-pool")
    assert call(client, "get", "/work_queues/name/default").status_code == 404
    conflict = post(client, "/work_queues/", AGENT_BODY)
    assert conflict.status_code == 409
    assert conflict.json() == {"detail": "A work queue with this name already exists."}
    found = call(client, "get", "/work_queues/name/default")
    assert found.status_code == 200 and found.json()["description"] == "The work pool's default queue."


def test_create_with_agent_body_and_duplicates(client):
    created = post(client, "/work_queues/", {**AGENT_BODY, "name": "mine"})
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "mine" and body["description"] == "" and body["filter"] is None
    assert body["is_paused"] is False and body["concurrency_limit"] is None and body["last_polled"] is None
    duplicate = post(client, "/work_queues/", {"name": "mine"})
    assert duplicate.status_code == 409
    assert post(client, "/work_queues/", {"name": "a/b"}).status_code == 422
    assert post(client, "/work_queues/", {"name": "x", "bogus": 1}).status_code == 422


def test_read_update_delete(client):
    queue = make_queue(client, "q1")
    assert call(client, "get", f"/work_queues/{queue['id']}").json() == queue
    assert call(client, "get", "/work_queues/name/q1").json()["id"] == queue["id"]

    missing = call(client, "get", f"/work_queues/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json() == {"detail": "work queue not found"}
    assert call(client, "get", "/work_queues/name/nope").json() == {"detail": "work queue not found"}

    # Only default-agent-pool is looked in by name.
    post(client, "/work_pools/", {"name": "other"})
    post(client, "/work_pools/other/queues", {"name": "elsewhere"})
    assert call(client, "get", "/work_queues/name/elsewhere").status_code == 404

    response = call(client, "patch", f"/work_queues/{queue['id']}", {"concurrency_limit": 5, "description": "d"})
    assert response.status_code == 204
    updated = call(client, "get", f"/work_queues/{queue['id']}").json()
    assert updated["concurrency_limit"] == 5 and updated["description"] == "d"
    call(client, "patch", f"/work_queues/{queue['id']}", {"concurrency_limit": None})
    assert call(client, "get", f"/work_queues/{queue['id']}").json()["concurrency_limit"] is None
    # null on a column that cannot be empty means "leave it".
    assert call(client, "patch", f"/work_queues/{queue['id']}", {"name": None, "is_paused": None}).status_code == 204
    assert call(client, "get", f"/work_queues/{queue['id']}").json()["name"] == "q1"
    assert call(client, "patch", f"/work_queues/{uuid.uuid4()}", {"is_paused": True}).status_code == 404
    assert call(client, "patch", f"/work_queues/{queue['id']}", {"concurrency_limit": -1}).status_code == 422

    assert call(client, "delete", f"/work_queues/{queue['id']}").status_code == 204
    assert call(client, "delete", f"/work_queues/{queue['id']}").status_code == 404


def test_filter_lists_queues_of_every_pool_by_name(client):
    make_queue(client, "zeta")
    make_queue(client, "alpha")
    post(client, "/work_pools/", {"name": "other"})
    post(client, "/work_pools/other/queues", {"name": "beta"})
    listed = names(post(client, "/work_queues/filter", {}))
    assert listed == ["alpha", "beta", "default", "default", "zeta"]
    prefixed = post(client, "/work_queues/filter", {"work_queues": {"name": {"startswith_": ["AL", "ze"]}}})
    assert names(prefixed) == ["alpha", "zeta"]
    assert names(post(client, "/work_queues/filter", {"limit": 2, "offset": 1})) == ["beta", "default"]
    assert post(client, "/work_queues/filter", {"work_queues": {"bogus": 1}}).status_code == 422


def _run_in_queue(queue_name, at, **fields):
    run = new_flow_run(initial=scheduled(at), **fields)
    models.FlowRun.objects.filter(pk=run.pk).update(work_queue_name=queue_name)
    return run


def test_get_runs_hands_out_scheduled_runs_by_queue_name(client):
    queue = make_queue(client, "agents")
    now = timezone.now()
    later = _run_in_queue("agents", now - dt.timedelta(minutes=1))
    sooner = _run_in_queue("agents", now - dt.timedelta(minutes=5))
    _run_in_queue("agents", now + dt.timedelta(hours=1))
    _run_in_queue("other", now - dt.timedelta(minutes=5))

    before = (now + dt.timedelta(seconds=10)).isoformat()
    response = post(client, f"/work_queues/{queue['id']}/get_runs", {"limit": 10, "scheduled_before": before})
    assert response.status_code == 200
    runs = response.json()
    assert [run["id"] for run in runs] == [str(sooner.id), str(later.id)]
    assert runs[0]["state"]["type"] == "SCHEDULED" and runs[0]["next_scheduled_start_time"]
    polled = call(client, "get", f"/work_queues/{queue['id']}").json()["last_polled"]
    assert polled is not None

    assert len(post(client, f"/work_queues/{queue['id']}/get_runs", {"limit": 1}).json()) == 1
    missing = post(client, f"/work_queues/{uuid.uuid4()}/get_runs", {})
    assert missing.status_code == 404
    assert missing.json()["exception_message"].startswith("Work queue with id ")


def test_get_runs_bookkeeping(client):
    queue = make_queue(client, "agents")
    ui = client.post(
        f"/api/work_queues/{queue['id']}/get_runs", data="{}", content_type="application/json", HTTP_X_PREFECT_UI="true"
    )
    assert ui.status_code == 200
    assert models.WorkQueue.objects.get(pk=queue["id"]).last_polled is None

    agent_id = uuid.uuid4()
    post(client, f"/work_queues/{queue['id']}/get_runs", {"agent_id": str(agent_id)})
    post(client, f"/work_queues/{queue['id']}/get_runs", {"agent_id": str(agent_id)})
    agent = models.Agent.objects.get(pk=agent_id)
    assert str(agent.work_queue_id) == queue["id"]


def test_get_runs_respects_pause_and_concurrency(client):
    queue = make_queue(client, "agents", concurrency_limit=2)
    now = timezone.now()
    for minutes in (1, 2, 3):
        _run_in_queue("agents", now - dt.timedelta(minutes=minutes))
    busy = new_flow_run(initial=state("RUNNING"))
    models.FlowRun.objects.filter(pk=busy.pk).update(work_queue_name="agents")
    assert len(post(client, f"/work_queues/{queue['id']}/get_runs", {}).json()) == 1

    call(client, "patch", f"/work_queues/{queue['id']}", {"is_paused": True})
    assert post(client, f"/work_queues/{queue['id']}/get_runs", {}).json() == []


def test_get_runs_of_legacy_tag_filter_queue(client):
    queue = make_queue(client, "legacy", filter={"tags": ["etl"], "deployment_ids": None})
    now = timezone.now()
    tagged = _run_in_queue("whatever", now - dt.timedelta(minutes=1), tags=["etl", "x"])
    _run_in_queue("legacy", now - dt.timedelta(minutes=1), tags=["other"])
    runs = post(client, f"/work_queues/{queue['id']}/get_runs", {}).json()
    assert [run["id"] for run in runs] == [str(tagged.id)]


def test_get_runs_query_count_does_not_grow(client):
    queue = make_queue(client, "agents")
    flow = new_flow()
    _run_in_queue("agents", timezone.now() - dt.timedelta(minutes=1), flow=flow)
    few, response = count_queries(client, "post", f"/work_queues/{queue['id']}/get_runs", {})
    assert len(response.json()) == 1
    for minutes in range(2, 12):
        _run_in_queue("agents", timezone.now() - dt.timedelta(minutes=minutes), flow=flow)
    many, response = count_queries(client, "post", f"/work_queues/{queue['id']}/get_runs", {})
    assert len(response.json()) == 11 and many == few


def test_status_reports_health(client):
    queue = make_queue(client, "agents")
    status = call(client, "get", f"/work_queues/{queue['id']}/status").json()
    assert status["healthy"] is False and status["last_polled"] is None
    assert status["health_check_policy"] == {"maximum_late_runs": 0, "maximum_seconds_since_last_polled": 60}

    post(client, f"/work_queues/{queue['id']}/get_runs", {})
    status = call(client, "get", f"/work_queues/{queue['id']}/status").json()
    assert status == {**status, "healthy": True, "late_runs_count": 0}

    late = _run_in_queue("agents", timezone.now() - dt.timedelta(minutes=1))
    models.FlowRun.objects.filter(pk=late.pk).update(state_name="Late")
    status = call(client, "get", f"/work_queues/{queue['id']}/status").json()
    assert status["healthy"] is False and status["late_runs_count"] == 1

    missing = call(client, "get", f"/work_queues/{uuid.uuid4()}/status")
    assert missing.status_code == 404 and "exception_message" in missing.json()
