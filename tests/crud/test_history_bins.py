"""History bins (``api.models.history``): the triggers keep them through inserts, updates
and deletes of runs, and a history read from them is the one read from the run table,
figure for figure, over windows whose edges and clock fall on and off the granules."""

from __future__ import annotations

import datetime as dt
import importlib
import random
import uuid
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api import models
from api.crud import history
from api.crud.filters import RunFilterSet, flow_runs_q
from api.schemas import filters as f
from tests.fixtures.rows import new_flow, new_flow_run

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 12, 0, 7, 250001, tzinfo=dt.timezone.utc)
# The clock on a granule edge: the runs of the granule it starts are not overdue yet.
NOW_ON_EDGE = NOW.replace(second=0, microsecond=0)
MINUTE = dt.timedelta(minutes=1)
STATES = [
    ("COMPLETED", "Completed"), ("FAILED", "Failed"), ("CRASHED", "Crashed"), ("CANCELLED", "Cancelled"),
    ("RUNNING", "Running"), ("PENDING", "Pending"), ("SCHEDULED", "Scheduled"), ("SCHEDULED", "Late"),
    ("PAUSED", "Paused"), ("CANCELLING", "Cancelling"), ("COMPLETED", None), (None, None),
]
# (start, end, step): aligned to the granules or not, steps under and over one granule,
# the clock inside, before and after the window.
WINDOWS = [
    (NOW.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=2), NOW + dt.timedelta(hours=2), dt.timedelta(minutes=10)),
    (NOW - dt.timedelta(hours=3, seconds=17, microseconds=3), NOW + dt.timedelta(hours=3), dt.timedelta(minutes=7, seconds=13)),
    (NOW - dt.timedelta(minutes=20), NOW + dt.timedelta(minutes=5), dt.timedelta(seconds=30)),
    (NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=1), dt.timedelta(hours=1)),
    (NOW - dt.timedelta(hours=4, microseconds=1), NOW - dt.timedelta(hours=1), dt.timedelta(minutes=20)),
    (NOW + dt.timedelta(minutes=1, seconds=1), NOW + dt.timedelta(hours=5), dt.timedelta(minutes=61)),
    # An hour or longer: whole hours from the hour bins, the part past an edge from the
    # minute bins; edges off the minute, on it, and on the hour.
    (NOW - dt.timedelta(hours=2, minutes=25, seconds=13, microseconds=500), NOW + dt.timedelta(hours=2), dt.timedelta(hours=1)),
    (NOW.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=3), NOW + dt.timedelta(hours=3), dt.timedelta(hours=1)),
    (NOW - dt.timedelta(hours=5, minutes=40, microseconds=7), NOW + dt.timedelta(hours=4), dt.timedelta(minutes=90)),
    (NOW - dt.timedelta(hours=4, minutes=17), NOW + dt.timedelta(hours=3), dt.timedelta(hours=2, seconds=1)),
    (NOW - dt.timedelta(minutes=30, microseconds=1), NOW + dt.timedelta(minutes=20), dt.timedelta(hours=2)),
    # From before 1970, on a bucket edge every 60 days.
    (dt.datetime(1969, 12, 31, 23, 59, 30, 500000, tzinfo=dt.timezone.utc), NOW + dt.timedelta(days=1), dt.timedelta(days=60)),
]


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def some_time(rng: random.Random, spread: dt.timedelta = dt.timedelta(hours=2)) -> dt.datetime:
    """A time near NOW, on a granule edge one time in five."""
    moment = NOW + rng.uniform(-1, 1) * spread
    if rng.random() < 0.2:
        moment = moment.replace(second=0, microsecond=0)
    return moment


def run_columns(rng: random.Random) -> dict[str, Any]:
    state_type, state_name = rng.choice(STATES)
    expected = some_time(rng) if rng.random() < 0.95 else None
    started = None
    if rng.random() < 0.6 and expected is not None:
        started = expected + rng.uniform(-0.2, 1) * dt.timedelta(minutes=30)
    return {
        "state_type": state_type,
        "state_name": state_name,
        "state_timestamp": some_time(rng) if rng.random() < 0.9 else None,
        "expected_start_time": expected,
        "start_time": started,
        # Negative totals count as zero.
        "total_run_time": dt.timedelta(microseconds=-rng.randint(1, 10**6) if rng.random() < 0.2 else rng.randint(0, 10**9)),
    }


def add_runs(model: type, parent: Any, rng: random.Random, count: int) -> list[Any]:
    if model is models.FlowRun:
        rows = [models.FlowRun(id=uuid.uuid4(), flow=parent, name=f"run-{uuid.uuid4().hex[:6]}", **run_columns(rng))
                for _ in range(count)]
    else:
        rows = [models.TaskRun(id=uuid.uuid4(), flow_run=parent, name="task", task_key=uuid.uuid4().hex,
                               dynamic_key="0", **run_columns(rng)) for _ in range(count)]
    return model.objects.bulk_create(rows)


def mutate(model: type, rng: random.Random) -> None:
    """Change runs the ways the API, the services and the admin do: one at a time, in bulk,
    by deleting."""
    ids = list(model.objects.values_list("id", flat=True))
    for run_id in rng.sample(ids, len(ids) // 4):
        run = model.objects.get(id=run_id)
        for column, value in run_columns(rng).items():
            if rng.random() < 0.5:
                setattr(run, column, value)
        run.save()
    model.objects.filter(id__in=rng.sample(ids, len(ids) // 5)).update(state_type="COMPLETED", state_name="Completed")
    model.objects.filter(id__in=rng.sample(ids, len(ids) // 10)).update(
        expected_start_time=some_time(rng), start_time=None
    )
    model.objects.filter(id__in=rng.sample(ids, len(ids) // 10)).delete()


def read_both(model: type, start: dt.datetime, end: dt.datetime, step: dt.timedelta, filters: RunFilterSet) -> tuple[Any, Any]:
    """(from the bins, from the run table) for one window."""
    if model is models.FlowRun:
        binned = history.flow_run_history(start, end, step, filters)
        criteria = flow_runs_q(filters)
    else:
        binned = history.task_run_history(start, end, step, filters)
        criteria = Q()
    return binned, history._history(model, criteria, start, end, step)


def bins(model: type, hours: bool = False) -> set[tuple[Any, ...]]:
    table = (history.HOUR_BINS if hours else history.BINS)[model]
    return set(table.objects.values_list(
        "granule", "state_type", "state_name", "count_runs", "run_time_us", "lateness_us", "unstarted", "unstarted_offset_us"
    ))


def rebuilt_bins(model: type, hours: bool = False) -> set[tuple[Any, ...]]:
    """The bins (minute or hour) the migrations' fill makes from the runs as they are now."""
    migration = importlib.import_module("api.migrations.0082_run_history_bins")
    table = model._meta.db_table
    bin_model = (history.HOUR_BINS if hours else history.BINS)[model]
    width = history.HOUR_SECONDS if hours else history.GRANULE_SECONDS
    values = (migration.postgresql_values if connection.vendor == "postgresql" else migration.sqlite_values)("run", width)
    bin_model.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(migration.fill(table, values, bin_model._meta.db_table), None)
    return bins(model, hours)


@pytest.mark.parametrize("now", [NOW, NOW_ON_EDGE], ids=["clock_inside_a_granule", "clock_on_an_edge"])
@pytest.mark.parametrize("model", [models.FlowRun, models.TaskRun], ids=["flow_runs", "task_runs"])
def test_bins_follow_every_write_and_serve_the_same_history(model, now, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: now)
    rng = random.Random(14)
    parent = new_flow() if model is models.FlowRun else new_flow_run()
    add_runs(model, parent, rng, 600)
    for _ in range(2):
        for start, end, step in WINDOWS:
            binned, from_runs = read_both(model, start, end, step, RunFilterSet())
            assert binned == from_runs, (start, end, step)
            assert sum(state.count_runs for bucket in binned for state in bucket.states) > 0
        mutate(model, rng)
        add_runs(model, parent, rng, 100)

    for hours in (False, True):
        kept = bins(model, hours)
        assert all(row[3] > 0 for row in kept), "a bin whose last run left is deleted"
        assert kept == rebuilt_bins(model, hours)


def test_a_dashboard_window_on_the_expected_start_time_is_served_by_the_bins(frozen_now, django_assert_num_queries):
    rng = random.Random(15)
    add_runs(models.FlowRun, new_flow(), rng, 400)
    start, end, step = WINDOWS[1]
    bounds = [(None, None), (start, end), (NOW - dt.timedelta(minutes=33, microseconds=7), NOW),
              (None, NOW - dt.timedelta(hours=1)), (NOW, history.DATETIME_MAX)]
    for after, before in bounds:
        filters = RunFilterSet(flow_runs=f.FlowRunFilter(expected_start_time=f.TimeRange(after_=after, before_=before)))
        binned, from_runs = read_both(models.FlowRun, start, end, step, filters)
        assert binned == from_runs, (after, before)
    # Anything else in the filter reads the run table alone: one query.
    filters = RunFilterSet(flow_runs=f.FlowRunFilter(expected_start_time=f.TimeRange(after_=start), name=f.NameAnyLike(like_="run")))
    assert history._expected_start_bounds(filters) is None
    with django_assert_num_queries(1):
        history.flow_run_history(start, end, step, filters)


def test_the_triggers_are_installed_on_both_run_tables():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        triggers = set(cursor.fetchall())
    for table in ("flow_run", "task_run"):
        expected = {f"{table}_history_{level}_{event}" for level in ("bin", "hour_bin") for event in ("insert", "update", "delete")}
        # A migration that rebuilds a run table on SQLite (copy, drop, rename) drops its
        # triggers: it must create them again.
        assert {(table, name) for name in expected} <= triggers


def test_the_bins_are_stored_in_the_order_of_their_key():
    """A range of granules is one stretch of the table (migration 0083): on SQLite a
    Django rebuild of a bin table would bring its rowid back."""
    for table in ("flow_run_history_bin", "task_run_history_bin", "flow_run_history_hour_bin", "task_run_history_hour_bin"):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT array_agg(a.attname ORDER BY k.n) FROM pg_index i"
                    " CROSS JOIN unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)"
                    " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                    " WHERE i.indrelid = %s::regclass AND i.indisprimary",
                    [table],
                )
                assert cursor.fetchone()[0] == ["granule", "state_type", "state_name"]
            else:
                cursor.execute("SELECT wr FROM pragma_table_list WHERE name = %s", [table])
                assert cursor.fetchone() == (1,), "WITHOUT ROWID"
                cursor.execute("SELECT name FROM pragma_table_info(%s) WHERE pk > 0 ORDER BY pk", [table])
                assert [name for (name,) in cursor.fetchall()] == ["granule", "state_type", "state_name"]


def test_the_statements_of_a_binned_history_do_not_grow_with_the_runs(frozen_now):
    rng = random.Random(16)
    flow = new_flow()
    start, end, step = WINDOWS[6]
    add_runs(models.FlowRun, flow, rng, 50)
    with CaptureQueriesContext(connection) as few:
        history.flow_run_history(start, end, step)
    add_runs(models.FlowRun, flow, rng, 1000)
    with CaptureQueriesContext(connection) as many:
        history.flow_run_history(start, end, step)
    assert len(many.captured_queries) == len(few.captured_queries)
    # Hour bins, minute bins, running runs, the granules of the window's ends and of now,
    # the runs moved past an interval edge in now's hour and in the other hours; on
    # PostgreSQL inside a transaction with its settings.
    reads = [query["sql"] for query in many.captured_queries if query["sql"].lstrip("(").startswith(("SELECT", "WITH"))]
    assert len(reads) == 6
    assert sum('"flow_run_history_hour_bin"' in sql for sql in reads) == 1
