"""Run history: runs bucketed by expected start time into fixed intervals, counted per
state, with their run time and lateness summed (``/flow_runs/history``,
``/task_runs/history``) and the UI's per-run history points.

The database does the bucketing and the sums in one grouped query, so the cost in
queries and Python work does not depend on how many runs the window holds. The
arithmetic is exact to the microsecond on both databases, matching the per-run figures of
``api.crud.runs``: PostgreSQL's timestamps and intervals are exact already; on SQLite the
stored text is turned into whole microseconds since the epoch (``EpochMicroseconds``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateTimeField,
    DurationField,
    Expression,
    F,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.utils import timezone

from api import models
from api.crud.filters import NO_FILTERS, RunFilterSet, flow_runs_q, task_runs_q
from api.crud.runs import estimated_run_time, estimated_start_time_delta
from api.errors import UnprocessableError
from api.schemas.base import DATETIME_MAX
from api.schemas.responses import HistoryResponse, HistoryResponseState, SimpleFlowRun
from api.schemas.states import TERMINAL_STATES, StateType

MAX_INTERVALS = 500
MIN_INTERVAL = dt.timedelta(seconds=1)
HISTORY_INTERVAL_TOO_SMALL = "History interval must not be less than 1 second."
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MICROSECONDS = dt.timedelta(microseconds=1)
# One grouped row: bucket position, state type, state name, runs, run time, lateness.
_Row = tuple[int, str, str, int, dt.timedelta, dt.timedelta]


class EpochMicroseconds(Func):
    """Whole microseconds since 1970-01-01 UTC of a datetime column, as an integer (SQLite
    only: PostgreSQL's history uses its own interval arithmetic).

    SQLite stores datetimes as ``YYYY-MM-DD HH:MM:SS[.ffffff]`` text in UTC: ``%s`` of the
    first 19 characters gives the whole seconds and the six digits after the dot (if any)
    the microseconds, exactly (SQLite's own date functions keep milliseconds only, and
    would round ``.999999`` up to the next second).
    """

    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        # '%%%%s': one halving by this template, one by the backend's placeholder pass.
        return super().as_sql(
            compiler,
            connection,
            template="(CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER) * 1000000"
            " + CAST(substr(%(expressions)s, 21, 6) AS INTEGER))",
            **extra,
        )


class DurationMicroseconds(Func):
    """A duration column as whole microseconds: SQLite stores it that way already (SQLite only)."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        return super().as_sql(compiler, connection, template="%(expressions)s", **extra)


def _micros(value: dt.datetime | dt.timedelta) -> int:
    """A datetime (microseconds since the epoch) or a duration in whole microseconds."""
    if isinstance(value, dt.datetime):
        value = value - _EPOCH
    return value // _MICROSECONDS


def _integer(value: int) -> Value:
    """An integer parameter, typed so it combines with the microsecond expressions."""
    return Value(value, output_field=BigIntegerField())


def _positive(value: Expression) -> Greatest:
    """``value``, or 0 where it is negative."""
    return Greatest(value, _integer(0), output_field=BigIntegerField())


def _run_time_us(now: dt.datetime) -> Expression:
    """``estimated_run_time`` in microseconds: the stored total, plus the current stretch
    (never negative) while the run is RUNNING."""
    stretch = Case(
        When(
            state_type=StateType.RUNNING.value,
            state_timestamp__isnull=False,
            then=_positive(_integer(_micros(now)) - EpochMicroseconds("state_timestamp")),
        ),
        default=_integer(0),
        output_field=BigIntegerField(),
    )
    return DurationMicroseconds("total_run_time") + stretch


def _lateness_us(now: dt.datetime) -> Expression:
    """``estimated_start_time_delta`` in microseconds (for runs with an expected start)."""
    expected = EpochMicroseconds("expected_start_time")
    return Case(
        When(start_time__isnull=False, then=_positive(EpochMicroseconds("start_time") - expected)),
        When(
            ~Q(state_type__in=[state.value for state in TERMINAL_STATES]),
            expected_start_time__lt=now,
            then=_integer(_micros(now)) - expected,
        ),
        default=_integer(0),
        output_field=BigIntegerField(),
    )


def intervals(start: dt.datetime, end: dt.datetime, step: dt.timedelta) -> list[tuple[dt.datetime, dt.datetime]]:
    """``[start, start + step)``, ... while the interval starts before ``end`` (at most
    ``MAX_INTERVALS``; the last one may pass ``end``)."""
    result = []
    while start < end and len(result) < MAX_INTERVALS:
        # A step past the last datetime the API stores ends the last interval there.
        high = start + step if DATETIME_MAX - start > step else DATETIME_MAX
        result.append((start, high))
        start = high
    return result


class DateBin(Func):
    """PostgreSQL's ``date_bin(stride, source, origin)``: the start of ``source``'s bucket."""

    function = "date_bin"
    output_field = DateTimeField()


def _sqlite_rows(rows: QuerySet, start: dt.datetime, step: dt.timedelta, now: dt.datetime) -> Iterator[_Row]:
    """Bucket and sums in whole microseconds: SQLite has no interval type, and integer
    arithmetic on the parsed text keeps the figures exact."""
    # Runs in the window have expected_start_time >= start, so integer division is the
    # floor; SQLite divides two integers as integers.
    index = (EpochMicroseconds("expected_start_time") - _integer(_micros(start))) / _integer(_micros(step))
    grouped = rows.annotate(bucket=index).values("bucket", "state_type", "state_name").annotate(
        count_runs=Count("id"),
        run_time=Sum(_positive(_run_time_us(now))),
        lateness=Sum(_positive(_lateness_us(now))),
    )
    for row in grouped:
        yield (
            int(row["bucket"]),
            row["state_type"],
            row["state_name"],
            row["count_runs"],
            dt.timedelta(microseconds=int(row["run_time"])),
            dt.timedelta(microseconds=int(row["lateness"])),
        )


def _postgresql_rows(rows: QuerySet, start: dt.datetime, step: dt.timedelta, now: dt.datetime) -> Iterator[_Row]:
    """Bucket and sums in PostgreSQL's own timestamp and interval arithmetic, which is
    exact (whole microseconds) and several times cheaper per row than numeric epochs: the
    window can hold hundreds of thousands of runs. The rules are ``_run_time_us``'s and
    ``_lateness_us``'s; the tests hold both paths to the same figures."""
    zero = Value(dt.timedelta(0), output_field=DurationField())
    at_now = Value(now, output_field=DateTimeField())
    stretch = Case(
        When(
            state_type=StateType.RUNNING.value,
            state_timestamp__isnull=False,
            then=Greatest(at_now - F("state_timestamp"), zero, output_field=DurationField()),
        ),
        default=zero,
        output_field=DurationField(),
    )
    lateness = Case(
        When(
            start_time__isnull=False,
            then=Greatest(F("start_time") - F("expected_start_time"), zero, output_field=DurationField()),
        ),
        When(
            ~Q(state_type__in=[state.value for state in TERMINAL_STATES]),
            expected_start_time__lt=now,
            then=at_now - F("expected_start_time"),
        ),
        default=zero,
        output_field=DurationField(),
    )
    grouped = (
        rows.annotate(bucket=DateBin(Value(step, output_field=DurationField()), "expected_start_time", Value(start)))
        .values("bucket", "state_type", "state_name")
        .annotate(
            count_runs=Count("id"),
            run_time=Sum(Greatest(F("total_run_time") + stretch, zero, output_field=DurationField())),
            lateness=Sum(lateness),
        )
    )
    for row in grouped:
        yield (
            (row["bucket"] - start) // step,
            row["state_type"],
            row["state_name"],
            row["count_runs"],
            row["run_time"],
            row["lateness"],
        )


def _history(
    model: type[models.FlowRun] | type[models.TaskRun],
    criteria: Q,
    start: dt.datetime,
    end: dt.datetime,
    step: dt.timedelta,
) -> list[HistoryResponse]:
    if step < MIN_INTERVAL:
        raise UnprocessableError(HISTORY_INTERVAL_TOO_SMALL)
    buckets = intervals(start, end, step)
    if not buckets:
        return []
    rows = (
        model.objects.filter(criteria)
        .filter(expected_start_time__gte=start, expected_start_time__lt=buckets[-1][1], state_type__isnull=False)
        .order_by()
    )
    grouped = _postgresql_rows if connection.vendor == "postgresql" else _sqlite_rows
    per_bucket: dict[int, list[HistoryResponseState]] = defaultdict(list)
    for bucket, state_type, state_name, count_runs, run_time, lateness in sorted(
        grouped(rows, start, step, timezone.now()), key=lambda row: row[:3]
    ):
        per_bucket[bucket].append(
            HistoryResponseState(
                state_type=state_type,
                state_name=state_name,
                count_runs=count_runs,
                sum_estimated_run_time=run_time,
                sum_estimated_lateness=lateness,
            )
        )
    return [
        HistoryResponse(interval_start=low, interval_end=high, states=per_bucket.get(position, []))
        for position, (low, high) in enumerate(buckets)
    ]


def flow_run_history(
    start: dt.datetime, end: dt.datetime, interval: dt.timedelta, filters: RunFilterSet = NO_FILTERS
) -> list[HistoryResponse]:
    """History of the flow runs matching the filters; intervals under a second are an ``UnprocessableError``."""
    return _history(models.FlowRun, flow_runs_q(filters), start, end, interval)


def task_run_history(
    start: dt.datetime, end: dt.datetime, interval: dt.timedelta, filters: RunFilterSet = NO_FILTERS
) -> list[HistoryResponse]:
    """History of the task runs matching the filters; intervals under a second are an ``UnprocessableError``."""
    return _history(models.TaskRun, task_runs_q(filters), start, end, interval)


def simple_flow_runs(runs: list[models.FlowRun]) -> list[SimpleFlowRun]:
    """The UI's history points of these runs: when each started (or should have), how
    long it ran and how late it was."""
    now = timezone.now()
    return [
        SimpleFlowRun(
            id=run.id,
            state_type=run.state_type,
            timestamp=run.start_time or run.expected_start_time,
            duration=estimated_run_time(run, now),
            lateness=estimated_start_time_delta(run, now),
        )
        for run in runs
    ]
