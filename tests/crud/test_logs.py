"""``api.crud.logs``: one batch insert (run ids unchecked), reads filtered, sorted, paged."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.crud import logs as crud
from api.schemas import filters
from api.schemas.actions import LogCreate
from api.schemas.sorting import LogSort

pytestmark = pytest.mark.django_db


def _line(message: str, seconds: int, level: int = 20, flow_run_id: uuid.UUID | None = None) -> LogCreate:
    at = timezone.now().replace(microsecond=0) + dt.timedelta(seconds=seconds)
    return LogCreate(name="l", level=level, message=message, timestamp=at, flow_run_id=flow_run_id or uuid.uuid4())


def test_an_empty_batch_writes_nothing():
    with CaptureQueriesContext(connection) as queries:
        crud.create_logs([])
    assert len(queries) == 0 and crud.read_logs() == []


def test_a_batch_of_any_size_is_one_statement_and_run_ids_are_not_checked():
    run_id = uuid.uuid4()  # no such run: logs may arrive before their run
    with CaptureQueriesContext(connection) as queries:
        crud.create_logs([_line(f"m{n}", n, flow_run_id=run_id) for n in range(300)])
    assert len([q for q in queries if "INSERT" in q["sql"]]) == 1
    assert len(crud.read_logs(limit=500)) == 300


def test_reads_filter_by_level_and_run_sort_and_page():
    run_id = uuid.uuid4()
    crud.create_logs([_line("b", 2, level=40, flow_run_id=run_id), _line("a", 1, flow_run_id=run_id), _line("c", 3, level=10)])

    def messages(**kwargs):
        return [row.message for row in crud.read_logs(**kwargs)]

    assert messages() == ["a", "b", "c"]
    assert messages(sort=LogSort.TIMESTAMP_DESC) == ["c", "b", "a"]
    assert messages(limit=1, offset=1) == ["b"]
    assert messages(logs=filters.LogFilter.model_validate({"level": {"ge_": 20}})) == ["a", "b"]
    assert messages(logs=filters.LogFilter.model_validate({"flow_run_id": {"any_": [str(run_id)]}})) == ["a", "b"]
    assert messages(logs=filters.LogFilter.model_validate({"flow_run_id": {"any_": []}})) == []
