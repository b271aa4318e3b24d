"""``api.crud.workers``: heartbeats upsert one row per name, and the scheduled runs handed
to a worker come oldest first and respect paused pools and free concurrency slots."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from api import models
from api.crud import work_pools, workers
from tests.fixtures.rows import new_flow_run, new_work_pool, new_work_queue, scheduled, set_columns, state

pytestmark = pytest.mark.django_db



def test_a_worker_heartbeat_upserts_one_row_per_name():
    pool = new_work_pool("p")
    workers.worker_heartbeat(pool, "w")
    first = models.Worker.objects.get(work_pool=pool, name="w").last_heartbeat_time
    workers.worker_heartbeat(pool, "w")
    workers.worker_heartbeat(pool, "other")
    listed = workers.read_workers(pool, None, limit=10, offset=0)
    assert [w.name for w in listed] == ["other", "w"]
    assert models.Worker.objects.get(work_pool=pool, name="w").last_heartbeat_time >= first



def _in_queue(run: models.FlowRun, queue: models.WorkQueue) -> models.FlowRun:
    set_columns(run, work_queue_id=queue.id, work_queue_name=queue.name)
    return run


def _due_run(queue: models.WorkQueue, minutes_ago: float) -> models.FlowRun:
    return _in_queue(new_flow_run(None, scheduled(timezone.now() - dt.timedelta(minutes=minutes_ago))), queue)


def _handed_out(pool: models.WorkPool, limit: int = 10) -> list:
    return [
        response.flow_run.id
        for response in workers.get_scheduled_flow_runs(pool, [], timezone.now(), None, limit)
    ]


def test_runs_come_oldest_first_and_a_paused_pool_gives_nothing():
    queue = new_work_queue("p", "q")
    older, newer = _due_run(queue, 10), _due_run(queue, 5)
    pool = queue.work_pool
    assert _handed_out(pool) == [older.id, newer.id]
    assert _handed_out(pool, limit=1) == [older.id]
    models.WorkPool.objects.filter(pk=pool.pk).update(is_paused=True)
    assert _handed_out(work_pools.get_work_pool("p")) == []


def test_a_queue_gives_only_its_free_slots():
    queue = new_work_queue("p", "q", concurrency_limit=2)
    _in_queue(new_flow_run(None, state("RUNNING")), queue)
    first, _ = _due_run(queue, 10), _due_run(queue, 5)
    assert _handed_out(queue.work_pool) == [first.id]
