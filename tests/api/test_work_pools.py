"""``/work_pools``: pools, their queues (with priorities), worker heartbeats and the
scheduled runs handed to workers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from api import models
from tests.fixtures.http import call, count_queries, names, post
from tests.fixtures.rows import new_flow, new_flow_run, scheduled, state

pytestmark = pytest.mark.django_db

JOB_TEMPLATE = {
    "job_configuration": {"command": "{{ command }}", "env": {"A": "{{ env_a }}"}},
    "variables": {
        "type": "object",
        "properties": {"command": {"type": "string"}, "env_a": {"type": "string", "default": "x"}},
    },
}


def make_pool(client, name="pool", **fields):
    response = post(client, "/work_pools/", {"name": name, **fields})
    assert response.status_code == 201, response.content
    return response.json()


def make_queue(client, pool, name, **fields):
    response = post(client, f"/work_pools/{pool}/queues", {"name": name, **fields})
    assert response.status_code == 201, response.content
    return response.json()


def priorities(client, pool):
    response = post(client, f"/work_pools/{pool}/queues/filter", {})
    return [(queue["name"], queue["priority"]) for queue in response.json()]


def test_create_pool_makes_its_default_queue(client):
    pool = make_pool(client, "docker-pool", type="docker", base_job_template=JOB_TEMPLATE, description="d")
    assert pool["type"] == "docker" and pool["base_job_template"] == JOB_TEMPLATE
    assert pool["is_paused"] is False and pool["concurrency_limit"] is None
    default = call(client, "get", "/work_pools/docker-pool/queues/default").json()
    assert pool["default_queue_id"] == default["id"]
    assert default["work_pool_id"] == pool["id"] and default["priority"] == 1

    assert call(client, "get", "/work_pools/docker-pool").json() == pool


def test_create_pool_refusals(client):
    make_pool(client, "taken")
    duplicate = post(client, "/work_pools/", {"name": "taken"})
    assert duplicate.status_code == 409
    assert duplicate.json() == {"detail": "A work pool with this name already exists."}

    reserved = post(client, "/work_pools/", {"name": "Prefect-things"})
    assert reserved.status_code == 403
    assert reserved.json() == {"detail": "Work pools starting with 'Prefect' are reserved for internal use."}

    assert post(client, "/work_pools/", {"name": "bad/name"}).status_code == 422
    assert post(client, "/work_pools/", {"name": "x", "bogus": 1}).status_code == 422
    undeclared = post(
        client,
        "/work_pools/",
        {"name": "tpl", "base_job_template": {"job_configuration": {"c": "{{ nope }}"}, "variables": {"properties": {}}}},
    )
    assert undeclared.status_code == 422
    assert "nope" in undeclared.json()["exception_detail"][0]["msg"]
    half = post(client, "/work_pools/", {"name": "tpl", "base_job_template": {"job_configuration": {}}})
    assert half.status_code == 422


def test_read_missing_pool_and_filter(client):
    missing = call(client, "get", "/work_pools/nope")
    assert missing.status_code == 404 and missing.json() == {"detail": 'Work pool "nope" not found.'}

    make_pool(client, "b-pool", type="docker")
    make_pool(client, "a-pool", type="process")
    # default-agent-pool is there from the start (a data migration).
    assert names(post(client, "/work_pools/filter", {})) == ["a-pool", "b-pool", "default-agent-pool"]
    assert names(post(client, "/work_pools/filter", {"work_pools": {"type": {"any_": ["docker"]}}})) == ["b-pool"]
    assert names(post(client, "/work_pools/filter", {"limit": 1, "offset": 1})) == ["b-pool"]
    assert post(client, "/work_pools/filter", {"limit": 500}).status_code == 422


def test_update_pool(client):
    make_pool(client, "edit")
    response = call(client, "patch", "/work_pools/edit", {"is_paused": True, "concurrency_limit": 3})
    assert response.status_code == 204 and response.content == b""
    pool = call(client, "get", "/work_pools/edit").json()
    assert pool["is_paused"] is True and pool["concurrency_limit"] == 3

    # null clears a nullable field; fields not sent are untouched.
    call(client, "patch", "/work_pools/edit", {"concurrency_limit": None})
    pool = call(client, "get", "/work_pools/edit").json()
    assert pool["concurrency_limit"] is None and pool["is_paused"] is True

    assert call(client, "patch", "/work_pools/nope", {"is_paused": True}).status_code == 404
    assert call(client, "patch", "/work_pools/edit", {"bogus": 1}).status_code == 422


def test_reserved_pools_may_only_pause_or_limit(client):
    # The API refuses to create reserved pools: written directly.
    models.WorkPool.objects.create(name="prefect-internal", type="prefect-agent")
    assert call(client, "patch", "/work_pools/prefect-internal", {"is_paused": True}).status_code == 204
    refused = call(client, "patch", "/work_pools/prefect-internal", {"description": "x"})
    assert refused.status_code == 403
    assert call(client, "delete", "/work_pools/prefect-internal").status_code == 403


def test_delete_pool_cascades(client):
    make_pool(client, "gone")
    make_queue(client, "gone", "q")
    post(client, "/work_pools/gone/workers/heartbeat", {"name": "w"})
    assert call(client, "delete", "/work_pools/gone").status_code == 204
    assert call(client, "get", "/work_pools/gone").status_code == 404
    assert not models.WorkQueue.objects.filter(work_pool__name="gone").exists()
    assert not models.Worker.objects.exists()
    assert call(client, "delete", "/work_pools/gone").status_code == 404


def test_pool_queue_priorities_are_renumbered(client):
    make_pool(client, "p")
    make_queue(client, "p", "second")
    make_queue(client, "p", "third")
    assert priorities(client, "p") == [("default", 1), ("second", 2), ("third", 3)]

    make_queue(client, "p", "urgent", priority=1)
    assert priorities(client, "p") == [("urgent", 1), ("default", 2), ("second", 3), ("third", 4)]

    assert call(client, "patch", "/work_pools/p/queues/third", {"priority": 2}).status_code == 204
    assert priorities(client, "p") == [("urgent", 1), ("third", 2), ("default", 3), ("second", 4)]

    assert call(client, "delete", "/work_pools/p/queues/urgent").status_code == 204
    assert priorities(client, "p") == [("third", 1), ("default", 2), ("second", 3)]


def test_a_priority_past_the_end_puts_the_queue_last(client):
    make_pool(client, "p")
    # The 2.10 client sends the priority it was given; a pool of one queue has room for 2.
    assert make_queue(client, "p", "five", priority=5)["priority"] == 2
    assert make_queue(client, "p", "two", priority=2)["priority"] == 2
    assert priorities(client, "p") == [("default", 1), ("two", 2), ("five", 3)]

    assert call(client, "patch", "/work_pools/p/queues/default", {"priority": 99}).status_code == 204
    assert priorities(client, "p") == [("two", 1), ("five", 2), ("default", 3)]
    assert call(client, "get", "/work_pools/p/queues/default").json()["priority"] == 3


def test_moving_a_queue_shifts_the_ones_between(client):
    make_pool(client, "p")
    for name in ("b", "c", "d"):
        make_queue(client, "p", name)
    # Moving down: the queues it passes move up one.
    call(client, "patch", "/work_pools/p/queues/default", {"priority": 3})
    assert priorities(client, "p") == [("b", 1), ("c", 2), ("default", 3), ("d", 4)]
    # Sending the priority it already has changes nothing.
    call(client, "patch", "/work_pools/p/queues/c", {"priority": 2, "description": "same place"})
    assert priorities(client, "p") == [("b", 1), ("c", 2), ("default", 3), ("d", 4)]
    # An update without a priority leaves the order alone.
    call(client, "patch", "/work_pools/p/queues/d", {"is_paused": True})
    assert priorities(client, "p") == [("b", 1), ("c", 2), ("default", 3), ("d", 4)]
    # Deleting from the middle closes the gap.
    call(client, "delete", "/work_pools/p/queues/c")
    assert priorities(client, "p") == [("b", 1), ("default", 2), ("d", 3)]


def test_a_placed_queue_closes_gaps_left_by_older_data(client):
    pool = make_pool(client, "p")
    # Rows written before priorities were kept dense.
    models.WorkQueue.objects.filter(work_pool_id=pool["id"]).update(priority=4)
    models.WorkQueue.objects.create(work_pool_id=pool["id"], name="old", priority=9)
    make_queue(client, "p", "new", priority=2)
    assert priorities(client, "p") == [("default", 1), ("new", 2), ("old", 3)]


def test_pool_queue_crud_and_errors(client):
    make_pool(client, "p")
    queue = make_queue(client, "p", "q", description="about", concurrency_limit=2)
    assert queue["description"] == "about" and queue["concurrency_limit"] == 2
    duplicate = post(client, "/work_pools/p/queues", {"name": "q"})
    assert duplicate.status_code == 409
    assert duplicate.json() == {"detail": "A work queue with this name already exists."}
    assert post(client, "/work_pools/nope/queues", {"name": "q"}).status_code == 404

    assert call(client, "patch", "/work_pools/p/queues/q", {"is_paused": True}).status_code == 204
    assert call(client, "get", "/work_pools/p/queues/q").json()["is_paused"] is True

    missing = call(client, "get", "/work_pools/p/queues/nope")
    assert missing.status_code == 404 and missing.json() == {"detail": "Work pool queue 'p/nope' not found."}
    assert call(client, "patch", "/work_pools/p/queues/nope", {"is_paused": True}).status_code == 404
    assert call(client, "delete", "/work_pools/p/queues/nope").status_code == 404
    assert post(client, "/work_pools/nope/queues/filter", {}).status_code == 404

    filtered = post(client, "/work_pools/p/queues/filter", {"work_queues": {"name": {"startswith_": ["Q"]}}})
    assert names(filtered) == ["q"]

    # The pool's default queue cannot be deleted: the database refuses.
    assert call(client, "delete", "/work_pools/p/queues/default").status_code == 409


def test_worker_heartbeats_upsert(client):
    make_pool(client, "p")
    for name in ("w1", "w2", "w1"):
        response = post(client, "/work_pools/p/workers/heartbeat", {"name": name})
        assert response.status_code == 204
    workers = post(client, "/work_pools/p/workers/filter", {}).json()
    assert [worker["name"] for worker in workers] == ["w1", "w2"]
    assert workers[0]["last_heartbeat_time"] >= workers[1]["last_heartbeat_time"]

    future = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    body = {"workers": {"last_heartbeat_time": {"after_": future}}}
    assert post(client, "/work_pools/p/workers/filter", body).json() == []
    assert post(client, "/work_pools/nope/workers/heartbeat", {"name": "w"}).status_code == 404
    assert post(client, "/work_pools/nope/workers/filter", {}).status_code == 404


def _queued_run(queue, at, flow=None):
    run = new_flow_run(flow, initial=scheduled(at))
    models.FlowRun.objects.filter(pk=run.pk).update(work_queue=queue, work_queue_name=queue.name)
    return run


def test_get_scheduled_flow_runs_respects_priority_limits_and_pauses(client):
    make_pool(client, "wp")
    make_queue(client, "wp", "low")
    high = make_queue(client, "wp", "high", priority=1, concurrency_limit=1)
    queue_high = models.WorkQueue.objects.get(pk=high["id"])
    queue_low = models.WorkQueue.objects.get(work_pool__name="wp", name="low")
    now = timezone.now()
    flow = new_flow()
    low_runs = [_queued_run(queue_low, now - dt.timedelta(minutes=m), flow) for m in (3, 2)]
    high_runs = [_queued_run(queue_high, now - dt.timedelta(minutes=m), flow) for m in (1, 4)]
    _queued_run(queue_low, now + dt.timedelta(hours=2), flow)

    before = (now + dt.timedelta(seconds=10)).isoformat()
    response = post(client, "/work_pools/wp/get_scheduled_flow_runs", {"scheduled_before": before})
    assert response.status_code == 200
    handed = response.json()
    # "high" gives only its one free slot (its earliest run); results sorted by time.
    expected = [high_runs[1], low_runs[0], low_runs[1]]
    assert [item["flow_run"]["id"] for item in handed] == [str(run.id) for run in expected]
    assert handed[0]["work_queue_id"] == high["id"]
    assert all(item["flow_run"]["state"] is None for item in handed)
    assert handed[0]["flow_run"]["work_queue_id"] == high["id"]
    assert "work_pool_name" not in handed[0]["flow_run"]
    assert models.WorkQueue.objects.filter(work_pool__name="wp", last_polled__isnull=False).count() == 3

    only_low = post(
        client, "/work_pools/wp/get_scheduled_flow_runs", {"work_queue_names": ["low"], "scheduled_before": before}
    )
    assert [item["flow_run"]["id"] for item in only_low.json()] == [str(run.id) for run in low_runs]

    models.WorkPool.objects.filter(name="wp").update(concurrency_limit=1)
    models.FlowRun.objects.filter(pk=low_runs[0].pk).update(state_type="RUNNING")
    assert post(client, "/work_pools/wp/get_scheduled_flow_runs", {"scheduled_before": before}).json() == []

    models.WorkPool.objects.filter(name="wp").update(concurrency_limit=None)
    call(client, "patch", "/work_pools/wp/queues/low", {"is_paused": True})
    rest = post(client, "/work_pools/wp/get_scheduled_flow_runs", {"scheduled_before": before}).json()
    assert [item["flow_run"]["id"] for item in rest] == [str(high_runs[1].id)]


def test_get_scheduled_flow_runs_errors_and_query_count(client):
    make_pool(client, "wp")
    missing_queue = post(client, "/work_pools/wp/get_scheduled_flow_runs", {"work_queue_names": ["nope"]})
    assert missing_queue.status_code == 404
    assert missing_queue.json() == {"detail": "Work pool queue 'wp/nope' not found."}
    assert post(client, "/work_pools/nope/get_scheduled_flow_runs", {}).status_code == 404

    queue = models.WorkQueue.objects.get(work_pool__name="wp", name="default")
    _queued_run(queue, timezone.now() - dt.timedelta(minutes=1))
    few, response = count_queries(client, "post", "/work_pools/wp/get_scheduled_flow_runs", {})
    assert len(response.json()) == 1
    for minutes in range(2, 12):
        _queued_run(queue, timezone.now() - dt.timedelta(minutes=minutes))
    many, response = count_queries(client, "post", "/work_pools/wp/get_scheduled_flow_runs", {})
    assert len(response.json()) == 11
    assert many == few


def test_pending_runs_take_queue_slots(client):
    make_pool(client, "wp")
    queue = models.WorkQueue.objects.get(work_pool__name="wp", name="default")
    models.WorkQueue.objects.filter(pk=queue.pk).update(concurrency_limit=1)
    run = _queued_run(queue, timezone.now() - dt.timedelta(minutes=1))
    _queued_run(queue, timezone.now() - dt.timedelta(minutes=2))
    busy = new_flow_run(initial=state("PENDING"))
    models.FlowRun.objects.filter(pk=busy.pk).update(work_queue=queue)
    assert post(client, "/work_pools/wp/get_scheduled_flow_runs", {}).json() == []
    models.FlowRun.objects.filter(pk=busy.pk).delete()
    handed = post(client, "/work_pools/wp/get_scheduled_flow_runs", {}).json()
    assert len(handed) == 1 and handed[0]["flow_run"]["id"] != str(run.id)
