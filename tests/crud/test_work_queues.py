"""``api.crud.work_queues``: agent-era queues live in ``default-agent-pool``; what an
agent gets (paused, concurrency-limited, by scheduled time); polls and health."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from api import models
from api.crud import work_queues as crud
from api.schemas.actions import WorkQueueCreate
from tests.fixtures.rows import ago, from_now, new_flow_run, not_found, scheduled, set_columns, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue() -> models.WorkQueue:
    return crud.create_work_queue(WorkQueueCreate(name="agents", priority=1))


def _queued(queue: models.WorkQueue, initial) -> models.FlowRun:
    run = new_flow_run(initial=initial)
    set_columns(run, work_queue=queue, work_queue_name=queue.name)
    return run


def test_agent_queues_go_last_in_the_default_agent_pool(queue):
    assert queue.work_pool.name == "default-agent-pool"
    # The requested priority is ignored: the pool's default queue keeps first place.
    assert queue.priority == 2
    assert crud.get_work_queue_by_name("agents").id == queue.id
    with not_found("work queue not found"):
        crud.get_work_queue_by_name("nope")


def test_agents_get_scheduled_runs_soonest_first_up_to_the_cutoff(queue):
    later = _queued(queue, scheduled(ago(minutes=1)))
    sooner = _queued(queue, scheduled(ago(minutes=5)))
    future = _queued(queue, scheduled(from_now(hours=1)))
    _queued(queue, state("RUNNING"))
    assert [r.id for r in crud.get_runs_in_work_queue(queue, limit=10, scheduled_before=timezone.now())] == [sooner.id, later.id]
    assert [r.id for r in crud.get_runs_in_work_queue(queue, limit=10)] == [sooner.id, later.id, future.id]
    assert len(crud.get_runs_in_work_queue(queue, limit=1)) == 1


def test_paused_and_full_queues_give_nothing(queue):
    _queued(queue, scheduled(ago(minutes=1)))
    _queued(queue, state("RUNNING"))
    set_columns(queue, concurrency_limit=1)
    queue.refresh_from_db()
    assert crud.get_runs_in_work_queue(queue, limit=10) == []
    set_columns(queue, concurrency_limit=2)
    queue.refresh_from_db()
    assert len(crud.get_runs_in_work_queue(queue, limit=10)) == 1
    set_columns(queue, is_paused=True)
    queue.refresh_from_db()
    assert crud.get_runs_in_work_queue(queue, limit=10) == []


def test_a_poll_records_the_agent_and_makes_the_queue_healthy(queue):
    assert crud.read_work_queue_status(queue).healthy is False  # never polled
    agent_id = uuid.uuid4()
    crud.record_poll(queue, agent_id)
    crud.record_poll(queue, agent_id)
    queue.refresh_from_db()
    assert models.Agent.objects.filter(pk=agent_id, work_queue=queue).count() == 1
    assert crud.read_work_queue_status(queue).healthy is True
    late = _queued(queue, scheduled(ago(minutes=5)))
    set_columns(late, state_name="Late")
    status = crud.read_work_queue_status(queue)
    assert (status.healthy, status.late_runs_count) == (False, 1)
