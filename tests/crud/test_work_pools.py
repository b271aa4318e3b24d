"""``api.crud.work_pools`` (with its queues): a pool comes with its default queue, names
are unique, priorities stay dense 1..n, deletes cascade."""

from __future__ import annotations

import pytest

from api import models
from api.crud import work_pools as crud
from api.crud import work_queues, workers
from api.errors import ConflictError
from api.schemas.actions import WorkPoolCreate, WorkQueueCreate
from tests.fixtures.rows import new_work_pool, new_work_queue

pytestmark = pytest.mark.django_db


def _priorities(pool: models.WorkPool) -> list[tuple[str, int]]:
    return list(models.WorkQueue.objects.filter(work_pool=pool).order_by("priority").values_list("name", "priority"))


def test_a_pool_comes_with_its_default_queue_and_a_taken_name_is_refused():
    pool = new_work_pool("p")
    assert _priorities(pool) == [("default", 1)] and pool.default_queue.name == "default"
    with pytest.raises(ConflictError) as taken_pool:
        crud.create_work_pool(WorkPoolCreate(name="p"))
    assert taken_pool.value.detail == "A work pool with this name already exists."
    with pytest.raises(ConflictError) as taken_queue:
        work_queues.create_work_queue(WorkQueueCreate(name="default"), pool=pool)
    assert taken_queue.value.detail == "A work queue with this name already exists."


def test_new_queues_go_last_unless_placed_and_priorities_stay_dense():
    pool = new_work_pool("p")
    new_work_queue("p", "b")
    new_work_queue("p", "a", priority=1)
    new_work_queue("p", "z", priority=99)  # past the end: last
    assert _priorities(pool) == [("a", 1), ("default", 2), ("b", 3), ("z", 4)]

    work_queues.delete_work_queue(work_queues.read_pool_queue(pool, "b"))
    assert _priorities(pool) == [("a", 1), ("default", 2), ("z", 3)]


def test_the_default_agent_pool_is_made_once():
    first = crud.get_or_create_default_agent_pool()
    assert crud.get_or_create_default_agent_pool().id == first.id
    assert first.name == crud.DEFAULT_AGENT_WORK_POOL_NAME


def test_deleting_a_pool_takes_its_queues_and_workers():
    pool = new_work_pool("doomed")
    new_work_queue("doomed", "q")
    workers.worker_heartbeat(pool, "w")
    crud.delete_work_pool(pool)
    assert not models.WorkQueue.objects.filter(work_pool_id=pool.id).exists()
    assert not models.Worker.objects.filter(work_pool_id=pool.id).exists()
