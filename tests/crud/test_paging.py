"""``api.crud.paging``: offsets and limits of every ``/filter`` route, edges included, and
the flow-run pages merged per state type."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import models
from api.crud import flow_runs
from api.crud.filters import STATE_TYPE_INDEXED_SORTS, RunFilterSet, flow_runs_q, order_by, pinned_state_types
from api.crud.paging import page
from api.schemas import filters as f
from api.schemas.sorting import FlowRunSort
from tests.fixtures.rows import new_flow, new_flow_run, set_columns

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "offset,limit,expected",
    [(0, None, ["a", "b", "c"]), (1, None, ["b", "c"]), (0, 2, ["a", "b"]), (2, 5, ["c"]), (3, 1, []), (0, 0, [])],
)
def test_pages(offset, limit, expected):
    for name in ("c", "a", "b"):
        new_flow(name)
    flows = models.Flow.objects.order_by("name")
    assert [flow.name for flow in page(flows, offset=offset, limit=limit)] == expected


def _runs_in_states() -> None:
    """Twelve runs over four state types; no two share a sort key (ties may come out
    in any order), a run without a start time sorts by its expected one, and one run has
    no end time."""
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    flow = new_flow()
    for index in range(12):
        run = new_flow_run(flow, name=f"run-{index:02}")
        state_type = ["FAILED", "CRASHED", "COMPLETED", "RUNNING"][index % 4]
        start = None if index == 5 else base + dt.timedelta(minutes=(index * 7) % 12)
        set_columns(
            run,
            state_type=state_type,
            start_time=start,
            expected_start_time=base + dt.timedelta(seconds=30 + index),
            end_time=None if index == 3 else base + dt.timedelta(hours=1, minutes=(index * 5) % 12),
        )


@pytest.mark.parametrize("sort", sorted(STATE_TYPE_INDEXED_SORTS))
@pytest.mark.parametrize("offset,limit", [(0, 3), (2, 4), (0, 50), (7, 2)])
def test_a_page_merged_per_state_type_is_the_single_querys_page(sort, offset, limit):
    _runs_in_states()
    for types in (["FAILED", "CRASHED"], ["FAILED", "CRASHED", "RUNNING", "SCHEDULED"]):
        filters = RunFilterSet(flow_runs=f.FlowRunFilter(state=f.RunState(type=f.StateTypeAny(any_=types))))
        criteria = flow_runs_q(filters)
        single = page(models.FlowRun.objects.filter(criteria).order_by(*order_by(sort)), offset, limit)
        with CaptureQueriesContext(connection) as queries:
            merged = flow_runs.read_flow_runs(filters, sort, limit, offset)
        assert [run.name for run in merged] == [run.name for run in single]
        assert len(queries) == 1 and "UNION ALL" in queries[0]["sql"]


def test_state_types_joined_by_or_are_not_pinned():
    only_types = f.RunState(type=f.StateTypeAny(any_=["FAILED", "CRASHED"]))
    assert pinned_state_types(f.FlowRunFilter(state=only_types)) == ["CRASHED", "FAILED"]
    either = f.RunState(operator=f.Operator.or_, type=only_types.type, name=f.StrAny(any_=["Late"]))
    assert pinned_state_types(f.FlowRunFilter(state=either)) is None
    loose = f.FlowRunFilter(operator=f.Operator.or_, state=only_types, name=f.NameAnyLike(like_="x"))
    assert pinned_state_types(loose) is None
    assert pinned_state_types(None) is None and pinned_state_types(f.FlowRunFilter()) is None


def test_a_filter_with_or_reads_with_the_single_query():
    _runs_in_states()
    loose = f.FlowRunFilter(
        operator=f.Operator.or_,
        state=f.RunState(type=f.StateTypeAny(any_=["FAILED", "CRASHED"])),
        name=f.NameAnyLike(any_=["run-02"]),
    )
    with CaptureQueriesContext(connection) as queries:
        runs = flow_runs.read_flow_runs(RunFilterSet(flow_runs=loose), FlowRunSort.START_TIME_DESC, 50, 0)
    assert "UNION ALL" not in queries[0]["sql"]
    assert sorted(run.name for run in runs) == ["run-00", "run-01", "run-02", "run-04", "run-05", "run-08", "run-09"]
