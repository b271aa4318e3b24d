"""``/logs``: batch insert and filtered, sorted, paged reads."""

from __future__ import annotations

import uuid

import pytest

from api import models
from tests.fixtures.http import count_queries, post

pytestmark = pytest.mark.django_db

RUN_A = str(uuid.uuid4())
RUN_B = str(uuid.uuid4())
TASK = str(uuid.uuid4())


def _line(message: str, level: int, second: int, flow_run_id: str = RUN_A, task_run_id=None):
    return {
        "name": "prefect.flow_runs",
        "level": level,
        "message": message,
        "timestamp": f"2024-01-01T00:00:{second:02d}.000001Z",
        "flow_run_id": flow_run_id,
        "task_run_id": task_run_id,
    }


@pytest.fixture
def lines(client):
    batch = [
        _line("one", 10, 3),
        _line("two", 20, 1, task_run_id=TASK),
        _line("three", 40, 2, flow_run_id=RUN_B),
    ]
    response = post(client, "/logs/", batch)
    assert response.status_code == 201 and response.content == b"null"
    return batch


def _messages(client, body=None):
    response = post(client, "/logs/filter", body if body is not None else {})
    assert response.status_code == 200, response.content
    return [line["message"] for line in response.json()]


def test_logs_are_stored_without_checking_run_ids(client, lines):
    stored = post(client, "/logs/filter").json()
    assert stored[0]["timestamp"] == "2024-01-01T00:00:01.000001+00:00"
    assert stored[0]["task_run_id"] == TASK and stored[0]["flow_run_id"] == RUN_A
    assert set(stored[0]) == {"id", "created", "updated", "name", "level", "message", "timestamp", "flow_run_id", "task_run_id"}
    assert models.Log.objects.count() == 3


def test_log_filters(client, lines):
    assert _messages(client) == ["two", "three", "one"]
    assert _messages(client, {"logs": {"level": {"ge_": 20}}}) == ["two", "three"]
    assert _messages(client, {"logs": {"level": {"le_": 20}}}) == ["two", "one"]
    assert _messages(client, {"logs": {"level": {"ge_": 15, "le_": 30}}}) == ["two"]
    assert _messages(client, {"logs": {"timestamp": {"after_": "2024-01-01T00:00:02Z"}}}) == ["three", "one"]
    assert _messages(client, {"logs": {"timestamp": {"before_": "2024-01-01T00:00:02Z"}}}) == ["two"]
    assert _messages(client, {"logs": {"flow_run_id": {"any_": [RUN_A]}}}) == ["two", "one"]
    assert _messages(client, {"logs": {"task_run_id": {"any_": [TASK]}}}) == ["two"]
    either = {"operator": "or_", "task_run_id": {"any_": [TASK]}, "flow_run_id": {"any_": [RUN_B]}}
    assert _messages(client, {"logs": either}) == ["two", "three"]


def test_log_sorts_and_pages(client, lines):
    assert _messages(client, {"sort": "TIMESTAMP_DESC"}) == ["one", "three", "two"]
    assert _messages(client, {"sort": "LEVEL_ASC"}) == ["one", "two", "three"]
    assert _messages(client, {"sort": "LEVEL_DESC"}) == ["three", "two", "one"]
    run_order = sorted([RUN_A, RUN_B], key=uuid.UUID)

    def run_ids(sort):
        return [line["flow_run_id"] for line in post(client, "/logs/filter", {"sort": sort}).json()]

    assert run_ids("FLOW_RUN_ID_ASC") == sorted(run_ids("FLOW_RUN_ID_ASC"), key=run_order.index)
    assert run_ids("FLOW_RUN_ID_DESC") == sorted(run_ids("FLOW_RUN_ID_DESC"), key=run_order.index, reverse=True)
    assert run_ids("FLOW_RUN_ID_ASC") != run_ids("FLOW_RUN_ID_DESC")
    with_task = [line["task_run_id"] for line in post(client, "/logs/filter", {"sort": "TASK_RUN_ID_ASC"}).json()]
    without_task = [line["task_run_id"] for line in post(client, "/logs/filter", {"sort": "TASK_RUN_ID_DESC"}).json()]
    assert with_task.count(TASK) == without_task.count(TASK) == 1
    # NULLs sort at one end, which end depends on the database.
    assert with_task.index(TASK) in (0, 2) and without_task.index(TASK) in (0, 2)
    assert with_task.index(TASK) != without_task.index(TASK)
    assert _messages(client, {"limit": 1, "offset": 1, "sort": None}) == ["three"]
    assert post(client, "/logs/filter", {"limit": 201}).json() == {"detail": "Invalid limit: must be less than or equal to 200."}


def test_log_body_validation(client):
    bad = post(client, "/logs/", [{"name": "x", "level": 20, "message": "m", "timestamp": "2024-01-01T00:00:00Z"}])
    assert bad.status_code == 422
    extra = post(client, "/logs/", [{**_line("m", 20, 0), "extra": 1}])
    assert extra.status_code == 422
    assert post(client, "/logs/", {"not": "a list"}).status_code == 422
    assert post(client, "/logs/filter", {"logs": {"level": {"gt_": 1}}}).status_code == 422
    assert post(client, "/logs/", []).status_code == 201
    assert not models.Log.objects.exists()


def test_log_query_counts_do_not_grow_with_batch_or_page_size(client):
    small_write, _ = count_queries(client, "post", "/logs/", [_line(f"a{i}", 20, i % 60) for i in range(2)])
    large_write, _ = count_queries(client, "post", "/logs/", [_line(f"b{i}", 20, i % 60) for i in range(150)])
    assert small_write == large_write

    small_read, small = count_queries(client, "post", "/logs/filter", {"limit": 2})
    large_read, large = count_queries(client, "post", "/logs/filter", {"limit": 150})
    assert (len(small.json()), len(large.json())) == (2, 150)
    assert small_read == large_read == 1
