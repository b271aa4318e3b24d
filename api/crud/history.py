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
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any, Optional

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
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
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest
from django.utils import timezone

from api import models
from api.crud.filters import NO_FILTERS, RunFilterSet, flow_runs_q, task_runs_q
from api.crud.runs import estimated_run_time, estimated_start_time_delta
from api.errors import UnprocessableError
from api.models.history import GRANULE_SECONDS, HOUR_SECONDS, RunHistoryBin
from api.schemas.base import DATETIME_MAX
from api.schemas.responses import HistoryResponse, HistoryResponseState, SimpleFlowRun
from api.schemas.states import TERMINAL_STATES, StateType

MAX_INTERVALS = 500
# SQLite allows 500 parts in one compound SELECT.
UNION_PARTS = 250
MIN_INTERVAL = dt.timedelta(seconds=1)
HISTORY_INTERVAL_TOO_SMALL = "History interval must not be less than 1 second."
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_EPOCH_MIN = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
# The expected-start bounds of a history whose filters bound nothing.
_UNBOUNDED = (_EPOCH_MIN, DATETIME_MAX)
GRANULE = dt.timedelta(seconds=GRANULE_SECONDS)
GRANULE_US = GRANULE_SECONDS * 1_000_000
HOUR = dt.timedelta(seconds=HOUR_SECONDS)
HOUR_US = HOUR_SECONDS * 1_000_000
BINS = {models.FlowRun: models.FlowRunHistoryBin, models.TaskRun: models.TaskRunHistoryBin}
HOUR_BINS = {models.FlowRun: models.FlowRunHistoryHourBin, models.TaskRun: models.TaskRunHistoryHourBin}
_MICROSECONDS = dt.timedelta(microseconds=1)
# One grouped row: bucket position, state type, state name, runs, run time, lateness.
# The sums are whole microseconds until the response: adding integers is cheaper than
# adding timedeltas, over the thousands of rows a binned history merges.
_Row = tuple[int, str, str, int, int, int]


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


def _sqlite_bucket(start: dt.datetime, step: dt.timedelta) -> Expression:
    """The position of a run's interval, in SQLite."""
    # Runs in the window have expected_start_time >= start, so integer division is the
    # floor; SQLite divides two integers as integers.
    return (EpochMicroseconds("expected_start_time") - _integer(_micros(start))) / _integer(_micros(step))


def _sqlite_origin(start: dt.datetime, step: dt.timedelta, width: dt.timedelta) -> Expression:
    """The position of the interval holding the start of a run's granule ``width`` wide,
    in SQLite (for runs expected after 1970: integer division truncates)."""
    width_us = _integer(_micros(width))
    granule_start = EpochMicroseconds("expected_start_time") / width_us * width_us
    return (granule_start - _integer(_micros(start))) / _integer(_micros(step))


def _sqlite_keys(start: dt.datetime, step: dt.timedelta, origin: Optional[dt.timedelta]) -> dict[str, Expression]:
    """The grouping positions of a run in SQLite: its interval, and with ``origin`` the
    interval of the start of its granule that wide."""
    keys = {"bucket": _sqlite_bucket(start, step)}
    if origin:
        keys["origin"] = _sqlite_origin(start, step, origin)
    return keys


def _sqlite_grouped(
    rows: QuerySet, start: dt.datetime, step: dt.timedelta, now: dt.datetime, origin: Optional[dt.timedelta] = None
) -> QuerySet:
    """Bucket and sums in whole microseconds: SQLite has no interval type, and integer
    arithmetic on the parsed text keeps the figures exact. ``origin``: grouped by the
    interval of the start of each run's granule that wide too."""
    keys = _sqlite_keys(start, step, origin)
    return rows.annotate(**keys).values(*keys, "state_type", "state_name").annotate(
        count_runs=Count("*"),
        run_time=Sum(_positive(_run_time_us(now))),
        lateness=Sum(_positive(_lateness_us(now))),
    )


def _integer_row(row: dict[str, Any], start: dt.datetime, step: dt.timedelta) -> _Row:
    """A grouped row of SQLite's: its bucket is a position and its sums are whole microseconds."""
    return (
        int(row["bucket"]),
        row["state_type"],
        row["state_name"],
        int(row["count_runs"]),
        int(row["run_time"]),
        int(row["lateness"]),
    )


def _postgresql_grouped(
    rows: QuerySet, start: dt.datetime, step: dt.timedelta, now: dt.datetime, origin: Optional[dt.timedelta] = None
) -> QuerySet:
    """Bucket and sums in PostgreSQL's own timestamp and interval arithmetic, which is
    exact (whole microseconds) and several times cheaper per row than numeric epochs: the
    window can hold hundreds of thousands of runs. The rules are ``_run_time_us``'s and
    ``_lateness_us``'s; the tests hold both paths to the same figures. ``origin``: as
    ``_sqlite_grouped``'s."""
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
    stride = Value(step, output_field=DurationField())
    keys = {"bucket": DateBin(stride, "expected_start_time", Value(start))}
    if origin:
        granule_start = DateBin(Value(origin, output_field=DurationField()), "expected_start_time", Value(_EPOCH))
        keys["origin"] = DateBin(stride, granule_start, Value(start))
    return (
        rows.annotate(**keys)
        .values(*keys, "state_type", "state_name")
        .annotate(
            count_runs=Count("*"),
            run_time=Sum(Greatest(F("total_run_time") + stretch, zero, output_field=DurationField())),
            lateness=Sum(lateness),
        )
    )


def _postgresql_row(row: dict[str, Any], start: dt.datetime, step: dt.timedelta) -> _Row:
    return (
        (row["bucket"] - start) // step,
        row["state_type"],
        row["state_name"],
        row["count_runs"],
        row["run_time"] // _MICROSECONDS,
        row["lateness"] // _MICROSECONDS,
    )


def _origin(row: dict[str, Any], start: dt.datetime, step: dt.timedelta) -> int:
    """The position of the interval of a grouped row's granule start (grouped with ``origin``)."""
    if connection.vendor == "postgresql":
        return (row["origin"] - start) // step
    return int(row["origin"])


def _with_moved(row: _Row, origin: int) -> Iterator[_Row]:
    """A grouped row of runs whose granule's bin counted them in the interval ``origin``:
    the runs in their own interval, and taken out of ``origin``'s."""
    bucket, state_type, state_name, count_runs, run_time, lateness = row
    yield row
    yield (origin, state_type, state_name, -count_runs, -run_time, -lateness)


def _history_rows(
    row: dict[str, Any],
    converted: Callable[..., _Row],
    start: dt.datetime,
    step: dt.timedelta,
    moved: Optional[dt.timedelta],
) -> Iterator[_Row]:
    """The history rows of one grouped row: itself, and with ``moved`` its runs taken out
    of their granule start's interval (``_with_moved``)."""
    if moved:
        yield from _with_moved(converted(row, start, step), _origin(row, start, step))
    else:
        yield converted(row, start, step)


def _run_rows(
    rows: QuerySet, start: dt.datetime, step: dt.timedelta, now: dt.datetime, moved: Optional[dt.timedelta] = None
) -> Iterator[_Row]:
    """The history rows of ``rows``, grouped in the database. ``moved``: a bin counted the
    runs in the interval of the start of their granule this wide (``_with_moved``)."""
    postgresql = connection.vendor == "postgresql"
    grouped, converted = (_postgresql_grouped, _postgresql_row) if postgresql else (_sqlite_grouped, _integer_row)
    for row in grouped(rows, start, step, now, origin=moved):
        yield from _history_rows(row, converted, start, step, moved)


def _span_rows(
    rows: QuerySet,
    spans: list[tuple[dt.datetime, dt.datetime]],
    start: dt.datetime,
    step: dt.timedelta,
    now: dt.datetime,
    moved: Optional[dt.timedelta] = None,
) -> Iterator[_Row]:
    """The history rows of those of ``rows`` expected in one of ``spans`` (up to a few
    hundred short time ranges), in one statement; ``moved`` as ``_run_rows``'s.

    PostgreSQL reads the ranges of one ``OR`` from the index. SQLite would scan the whole
    table, so there each span's rowids come from a query of their own on the index,
    joined by ``UNION ALL`` (per ``UNION_PARTS`` spans), and the runs are read once by
    rowid: a union of the whole per-run query took SQLite longer to compile (a few hundred
    copies of its arithmetic) than to run."""
    if not spans:
        return
    table = connection.ops.quote_name(rows.model._meta.db_table)
    if connection.vendor == "postgresql":
        # Written out: a few hundred ``Q`` objects took Django longer to compile than
        # PostgreSQL to run the statement.
        column = f"{table}.expected_start_time"
        ranges = RawSQL(
            " OR ".join([f"({column} >= %s AND {column} < %s)"] * len(spans)),
            [bound for span in spans for bound in span],
            output_field=BooleanField(),
        )
        yield from _run_rows(rows.filter(ranges), start, step, now, moved)
        return
    part = f"SELECT rowid FROM {table} WHERE expected_start_time >= %s AND expected_start_time < %s"
    adapt = connection.ops.adapt_datetimefield_value
    for first in range(0, len(spans), UNION_PARTS):
        chunk = spans[first:first + UNION_PARTS]
        in_spans = RawSQL(
            f"{table}.rowid IN ({' UNION ALL '.join([part] * len(chunk))})",
            [adapt(bound) for span in chunk for bound in span],
            output_field=BooleanField(),
        )
        yield from _run_rows(rows.filter(in_spans), start, step, now, moved)


@contextmanager
def _planned_for_bins() -> Iterator[None]:
    """On PostgreSQL, a transaction whose plans suit the history's statements:

    - room to hash the bins' groups: the planner expects about one group per bin (it
      cannot know the bucket arithmetic folds sixty into one) and sorts them all, on disk
      past the default 4 MB, in twice the time;
    - no parallel workers: starting them takes longer (tens of milliseconds on a busy
      machine) than reading the few thousand rows of the ranges;
    - no JIT compilation: the planner cannot tell how few bins a range join meets
      (it guessed 3.5 million for 9,000 at a million runs), and compiling that plan took
      150 ms of a 160 ms read.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '32MB'; SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off")
        yield


def _merged(*sources: Iterator[_Row]) -> Iterator[_Row]:
    """Rows of several sources with the same (bucket, state type, state name) added up."""
    sums: dict[tuple[int, str, str], list[int]] = {}
    for bucket, state_type, state_name, count_runs, run_time, lateness in (row for source in sources for row in source):
        entry = sums.setdefault((bucket, state_type, state_name), [0, 0, 0])
        entry[0] += count_runs
        entry[1] += run_time
        entry[2] += lateness
    for key, (count_runs, run_time, lateness) in sums.items():
        yield (*key, count_runs, run_time, lateness)


def _bin_rows(
    bins: type[RunHistoryBin],
    width: dt.timedelta,
    ranges: list[tuple[int, int, bool]],
    start: dt.datetime,
    step: dt.timedelta,
    now: dt.datetime,
) -> Iterator[_Row]:
    """The kept figures of the granules (``width`` wide) in ``ranges``, bucketed, in one
    statement that seeks each range in the bins' key.

    A range is ``(first, last, moved)``: the granules ``[first, last)``. None of them
    holds an interval edge or ``now``, so each lies in one interval, and its runs that
    have not started are either all overdue or none. ``moved``: the range lies past the
    only interval edge of its hour, whose hour bin counted it in the interval of the
    hour's start; the rows are moved from there (``_with_moved``).
    """
    if not ranges:
        return
    width_us, start_us, step_us, now_us = _micros(width), _micros(start), _micros(step), _micros(now)
    table = connection.ops.quote_name(bins._meta.db_table)
    values = ", ".join(["(CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS INTEGER))"] * len(ranges))
    sql = (
        f"WITH ranges (low_granule, high_granule, moved) AS (VALUES {values})"
        f" SELECT (bin.granule * {width_us} - %s) / %s,"
        f" CASE WHEN ranges.moved = 1 THEN (bin.granule * {width_us} / {HOUR_US} * {HOUR_US} - %s) / %s END,"
        # The sums as bigints: PostgreSQL's numeric sums arrive as Decimals, several
        # times dearer to take in than integers.
        " bin.state_type, bin.state_name, CAST(SUM(bin.count_runs) AS BIGINT), CAST(SUM(bin.run_time_us) AS BIGINT),"
        # (granule + 1) * width <= now: every expected start in it has passed.
        f" CAST(SUM(bin.lateness_us + CASE WHEN bin.granule < %s"
        f" THEN bin.unstarted * (%s - bin.granule * {width_us}) - bin.unstarted_offset_us ELSE 0 END) AS BIGINT)"
        f" FROM ranges JOIN {table} bin ON bin.granule >= ranges.low_granule AND bin.granule < ranges.high_granule"
        " GROUP BY 1, 2, 3, 4"
    )
    params = [value for first, last, moved in ranges for value in (first, last, int(moved))]
    params += [start_us, step_us, start_us, step_us, now_us // width_us, now_us]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for bucket, origin, state_type, state_name, count_runs, run_time, lateness in cursor.fetchall():
            row = (int(bucket), state_type, state_name, count_runs, run_time, lateness)
            if origin is None:
                yield row
            else:
                yield from _with_moved(row, int(origin))


def _whole_granules(
    low: dt.datetime, high: dt.datetime, width: dt.timedelta, but: Collection[int] = ()
) -> list[tuple[int, int]]:
    """The granules ``width`` wide that lie wholly in ``[low, high)``, as ranges
    ``[first, last)``, leaving out those in ``but``."""
    width_us = _micros(width)
    first, last = -(-_micros(low) // width_us), _micros(high) // width_us
    ranges = []
    for granule in sorted(granule for granule in but if first <= granule < last):
        if first < granule:
            ranges.append((first, granule))
        first = granule + 1
    if first < last:
        ranges.append((first, last))
    return ranges


def _split_granules(edges: list[dt.datetime], width: dt.timedelta = GRANULE) -> set[int]:
    """The granules ``width`` wide an edge falls strictly inside."""
    width_us = _micros(width)
    return {_micros(edge) // width_us for edge in edges if _micros(edge) % width_us}


def _spans(granules: set[int], low: dt.datetime, high: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The time ranges of ``granules`` within ``[low, high)``; adjacent granules make one."""
    spans: list[list[int]] = []
    for granule in sorted(granules):
        if spans and spans[-1][1] == granule:
            spans[-1][1] = granule + 1
        else:
            spans.append([granule, granule + 1])
    return [(max(low, _EPOCH + first * GRANULE), min(high, _EPOCH + last * GRANULE)) for first, last in spans]


# ``state_type = 'RUNNING'`` with the value written out: SQLite uses a partial index only
# for a query whose condition names its value, not a parameter.
RUNNING = Func(
    F("state_type"), template=f"%(expressions)s = '{StateType.RUNNING.value}'", output_field=BooleanField()
)


class _Plan:
    """Which part of a binned history's window each source serves.

    - ``hours``: ranges of whole hours read from the hour bins. Only for intervals of an
      hour or more, so an hour holds at most one interval edge; the hour ``now`` falls
      inside is left to the minute bins (its runs that have not started are overdue in
      part).
    - ``hour_moved``: for each of those hours with an edge inside, the part past the edge
      (``[edge, hour end)``): its hour bin counted it in the interval of the hour's start,
      and it is moved to the next from its minute bins and, for the part of the edge's
      minute past the edge, its runs. Half an hour on average, where the minute bins of
      the whole hour would be one.
    - ``minutes``: the rest of the window (its partial hours at each end, ``now``'s hour,
      or all of it for shorter intervals), from the minute bins, as before the hour bins.
    """

    def __init__(self, low: dt.datetime, high: dt.datetime, buckets: list[tuple[dt.datetime, dt.datetime]],
                 now: dt.datetime) -> None:
        step = buckets[0][1] - buckets[0][0]
        edges = [bucket_start for bucket_start, _ in buckets if low < bucket_start < high]
        self.hours: list[tuple[int, int]] = []
        self.hour_moved: list[tuple[dt.datetime, dt.datetime]] = []
        self.minutes: list[tuple[dt.datetime, dt.datetime]] = [(low, high)]
        # Before 1970 the origins' integer division would truncate the wrong way.
        if step >= HOUR and low >= _EPOCH:
            self.hours = _whole_granules(low, high, HOUR, but=_split_granules([now], HOUR))
        if self.hours:
            self.minutes, rest = [], low
            for first, last in self.hours:
                if rest < _EPOCH + first * HOUR:
                    self.minutes.append((rest, _EPOCH + first * HOUR))
                rest = _EPOCH + last * HOUR
            if rest < high:
                self.minutes.append((rest, high))
            for edge in edges:
                hour = _micros(edge) // HOUR_US
                if _micros(edge) % HOUR_US and any(first <= hour < last for first, last in self.hours):
                    self.hour_moved.append((edge, _EPOCH + (hour + 1) * HOUR))
        self.minute_edges = [edge for edge in edges if any(a <= edge < b for a, b in self.minutes)]


def _binned_rows(
    model: type[models.FlowRun] | type[models.TaskRun],
    low: dt.datetime,
    high: dt.datetime,
    buckets: list[tuple[dt.datetime, dt.datetime]],
    now: dt.datetime,
) -> list[_Row]:
    """The history of every run expected in ``[low, high)``, in six statements whatever
    the window holds (``_Plan`` says which part of the window each serves):

    - the hour bins of the whole hours;
    - the minute bins of the rest, each counted in the interval of its start, but for
      the granules an end of the window or ``now`` falls inside;
    - from the run table, the runs no bin holds (RUNNING ones, from their partial index);
    - the runs of those few granules;
    - the runs of each granule that an interval edge falls inside, from the first such
      edge on: moved from the interval of the granule's start to their own (half a
      granule on average, where reading the whole granule would be one);
    - and the same for the minutes an hour's edge falls inside, moved from the interval
      of the hour's start.
    """
    start, step = buckets[0][0], buckets[0][1] - buckets[0][0]
    plan = _Plan(low, high, buckets, now)
    unbinned = _split_granules([edge for edge in (low, high, now) if low <= edge <= high])
    moved: dict[int, dt.datetime] = {}
    if low >= _EPOCH:
        for edge in plan.minute_edges:
            granule = _micros(edge) // GRANULE_US
            if _micros(edge) % GRANULE_US and granule not in unbinned:
                moved.setdefault(granule, edge)
    else:
        # SQLite's integer division truncates: the origin of a granule before 1970 is off.
        unbinned |= _split_granules(plan.minute_edges)
    moved_spans = [(edge, _EPOCH + (granule + 1) * GRANULE) for granule, edge in sorted(moved.items())]
    hour_moved_spans = [(edge, _EPOCH + (_micros(edge) // GRANULE_US + 1) * GRANULE)
                        for edge, _ in plan.hour_moved if _micros(edge) % GRANULE_US]
    minute_ranges = [(first, last, False) for low_end, high_end in plan.minutes
                     for first, last in _whole_granules(low_end, high_end, GRANULE, but=unbinned)]
    minute_ranges += [(first, last, True) for edge, hour_end in plan.hour_moved
                      for first, last in _whole_granules(edge, hour_end, GRANULE)]
    named = model.objects.filter(state_name__isnull=False).order_by()
    running = named.filter(RUNNING, expected_start_time__gte=low, expected_start_time__lt=high)
    binned_runs = named.exclude(state_type=StateType.RUNNING.value).filter(state_type__isnull=False)
    with _planned_for_bins():
        rows = _merged(
            _bin_rows(HOUR_BINS[model], HOUR, [(first, last, False) for first, last in plan.hours], start, step, now),
            _bin_rows(BINS[model], GRANULE, minute_ranges, start, step, now),
            _run_rows(running, start, step, now),
            _span_rows(binned_runs, _spans(unbinned, low, high), start, step, now),
            _span_rows(binned_runs, moved_spans, start, step, now, moved=GRANULE),
            _span_rows(binned_runs, hour_moved_spans, start, step, now, moved=HOUR),
        )
        # A state whose every run of an interval moved to the next one.
        return [row for row in rows if row[3]]


def _history(
    model: type[models.FlowRun] | type[models.TaskRun],
    criteria: Q,
    start: dt.datetime,
    end: dt.datetime,
    step: dt.timedelta,
    binned: Optional[tuple[dt.datetime, dt.datetime]] = None,
) -> list[HistoryResponse]:
    """The history of the runs matching ``criteria``. ``binned``: the criteria only bound
    the expected start time, to ``[low, high)``; the kept bins then serve it."""
    if step < MIN_INTERVAL:
        raise UnprocessableError(HISTORY_INTERVAL_TOO_SMALL)
    buckets = intervals(start, end, step)
    if not buckets:
        return []
    now = timezone.now()
    if binned is not None:
        low, high = max(start, binned[0]), min(buckets[-1][1], binned[1])
        grouped = _binned_rows(model, low, high, buckets, now) if low < high else []
    else:
        rows = (
            model.objects.filter(criteria)
            # A run without a state (or, written by hand, without a state name) is in no
            # state's count; the bins leave them out too.
            .filter(expected_start_time__gte=start, expected_start_time__lt=buckets[-1][1], state_type__isnull=False,
                    state_name__isnull=False)
            .order_by()
        )
        grouped = _run_rows(rows, start, step, now)
    per_bucket: dict[int, list[HistoryResponseState]] = defaultdict(list)
    for bucket, state_type, state_name, count_runs, run_time, lateness in sorted(grouped, key=lambda row: row[:3]):
        per_bucket[bucket].append(
            HistoryResponseState(
                state_type=state_type,
                state_name=state_name,
                count_runs=count_runs,
                sum_estimated_run_time=dt.timedelta(microseconds=run_time),
                sum_estimated_lateness=dt.timedelta(microseconds=lateness),
            )
        )
    return [
        HistoryResponse(interval_start=low, interval_end=high, states=per_bucket.get(position, []))
        for position, (low, high) in enumerate(buckets)
    ]


def _expected_start_bounds(filters: RunFilterSet) -> Optional[tuple[dt.datetime, dt.datetime]]:
    """``[low, high)`` when the filters bound nothing but the flow runs' expected start
    time (what the dashboard sends), else None."""
    if filters == NO_FILTERS:
        return _UNBOUNDED
    flow_runs = filters.flow_runs
    if filters != RunFilterSet(flow_runs=flow_runs) or flow_runs is None:
        return None
    if flow_runs.model_dump(exclude={"operator", "expected_start_time"}, exclude_none=True):
        return None
    bounds = flow_runs.expected_start_time
    if bounds is None:
        return _UNBOUNDED
    # before_ is inclusive; times are whole microseconds.
    high = DATETIME_MAX if bounds.before_ is None or bounds.before_ >= DATETIME_MAX else bounds.before_ + _MICROSECONDS
    return (bounds.after_ or _EPOCH_MIN, high)


def flow_run_history(
    start: dt.datetime, end: dt.datetime, interval: dt.timedelta, filters: RunFilterSet = NO_FILTERS
) -> list[HistoryResponse]:
    """History of the flow runs matching the filters; intervals under a second are an ``UnprocessableError``."""
    return _history(models.FlowRun, flow_runs_q(filters), start, end, interval, _expected_start_bounds(filters))


def task_run_history(
    start: dt.datetime, end: dt.datetime, interval: dt.timedelta, filters: RunFilterSet = NO_FILTERS
) -> list[HistoryResponse]:
    """History of the task runs matching the filters; intervals under a second are an ``UnprocessableError``."""
    binned = _UNBOUNDED if filters == NO_FILTERS else None
    return _history(models.TaskRun, task_runs_q(filters), start, end, interval, binned)


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
