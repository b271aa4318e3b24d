"""Deployment schedules: interval, cron and RRule, and the dates each one produces.

Every schedule answers ``get_dates(n, start, end)``: up to ``n`` dates, ascending, each
``>= start`` and ``<= end``, as aware datetimes in the schedule's time zone (so a run's
idempotency key carries the zone's offset). Generation stops after ``n`` dates, past
``end``, or after ``MAX_ITERATIONS`` candidates, whichever comes first.

Time zones are IANA names resolved with :mod:`zoneinfo`. Across daylight-saving changes an
interval made of whole days keeps the wall-clock time; the sub-day part of an interval is
absolute time. Cron and RRule schedules are evaluated in wall-clock time of their zone.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Iterator
from typing import Annotated, Any, Optional, Union
from zoneinfo import ZoneInfo, available_timezones

import dateutil.rrule
from croniter import croniter
from pydantic import Field, field_validator, model_validator

from api.schemas.base import ActionBaseModel, DateTime, Duration

UTC = dt.timezone.utc
MAX_ITERATIONS = 1000
MAX_RRULE_LENGTH = 6500
# An RRule without DTSTART starts here (the original's default anchor).
DEFAULT_ANCHOR_DATE = dt.datetime(2020, 1, 1, tzinfo=UTC)


def _now() -> dt.datetime:
    return dt.datetime.now(UTC)


def _zone(name: Optional[str]) -> dt.tzinfo:
    return ZoneInfo(name) if name else UTC


def _validate_timezone(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    # ZoneInfo also accepts file-system paths and odd spellings; only IANA names count.
    if value not in _known_timezones():
        raise ValueError(
            f'Invalid timezone: "{value}" (specify in IANA tzdata format, for example, '
            "America/New_York)"
        )
    return value


@functools.cache
def _known_timezones() -> frozenset[str]:
    return frozenset(available_timezones() | {"UTC"})


def _normalize(value: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """Resolve a wall-clock time in ``zone`` to a real instant, expressed in ``zone``.

    A time inside a spring-forward gap moves forward by the gap (02:30 becomes 03:30).
    """
    return value.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def _prepare_window(
    start: Optional[dt.datetime], end: Optional[dt.datetime], zone: dt.tzinfo
) -> tuple[dt.datetime, Optional[dt.datetime]]:
    start = (start or _now()).astimezone(zone)
    return start, end.astimezone(zone) if end is not None else None


def _limit(n: Optional[int], end: Optional[dt.datetime]) -> int:
    if n is not None:
        return n
    return MAX_ITERATIONS if end is not None else 1


def _take(
    candidates: Iterator[dt.datetime], n: int, start: dt.datetime, end: Optional[dt.datetime]
) -> list[dt.datetime]:
    """Distinct candidates ``>= start`` up to ``end``; at most ``n``, bounded work.

    Comparisons are made in UTC: Python compares two datetimes of the same zone by wall
    clock, which is wrong for the repeated hour when clocks go back.
    """
    dates: list[dt.datetime] = []
    if n <= 0:
        return dates
    seen: set[dt.datetime] = set()
    start_utc = start.astimezone(UTC)
    end_utc = end.astimezone(UTC) if end is not None else None
    for counter, candidate in enumerate(candidates):
        instant = candidate.astimezone(UTC)
        if end_utc is not None and instant > end_utc:
            break
        if instant >= start_utc and instant not in seen:
            seen.add(instant)
            dates.append(candidate)
        if len(dates) >= n or counter >= MAX_ITERATIONS:
            break
    return dates


class _ScheduleBase(ActionBaseModel):
    """Schedules forbid unknown keys, so the union can tell them apart.

    Each kind yields its candidate dates from a start (``_candidates``); ``get_dates``
    windows and counts them the same way for all.
    """

    # Every kind has a ``timezone`` field (with its own default).
    @field_validator("timezone", check_fields=False)
    @classmethod
    def _known_zone(cls, value: Optional[str]) -> Optional[str]:
        return _validate_timezone(value)

    def get_dates(
        self,
        n: Optional[int] = None,
        start: Optional[dt.datetime] = None,
        end: Optional[dt.datetime] = None,
    ) -> list[dt.datetime]:
        """The schedule's dates from ``start`` (inclusive, default now) up to ``end``: at
        most ``n``; without ``n``, all of them up to ``end``, or else the next one."""
        zone = _zone(self.timezone)
        start, end = _prepare_window(start, end, zone)
        return _take(self._candidates(start, zone), _limit(n, end), start, end)

    def _candidates(self, start: dt.datetime, zone: dt.tzinfo) -> Iterator[dt.datetime]:
        """Dates in ascending order, none of those ``>= start`` skipped, expressed in ``zone``."""
        raise NotImplementedError


class IntervalSchedule(_ScheduleBase):
    """Every ``interval`` from ``anchor_date`` (both directions), in ``timezone``."""

    interval: Duration
    anchor_date: DateTime = Field(default_factory=_now)
    timezone: Optional[str] = None

    @field_validator("interval")
    @classmethod
    def _positive(cls, value: dt.timedelta) -> dt.timedelta:
        if value.total_seconds() <= 0:
            raise ValueError("The interval must be positive")
        return value

    @model_validator(mode="after")
    def _default_zone(self) -> "IntervalSchedule":
        # A parsed anchor only carries a fixed offset, never a zone name: default to UTC.
        if self.timezone is None:
            self.timezone = "UTC"
        return self

    def _step(self, value: dt.datetime, times: int, zone: dt.tzinfo) -> dt.datetime:
        """``value`` moved by ``times`` intervals: whole days on the wall clock, the rest
        in absolute time."""
        days = self.interval.days * times
        rest = (self.interval - dt.timedelta(days=self.interval.days)) * times
        moved = _normalize(value.replace(tzinfo=None) + dt.timedelta(days=days), zone)
        return (moved.astimezone(UTC) + rest).astimezone(zone)

    def _candidates(self, start: dt.datetime, zone: dt.tzinfo) -> Iterator[dt.datetime]:
        """Dates ``anchor + k * interval`` (any integer ``k``) from the first ``>= start``."""
        anchor = self.anchor_date.astimezone(zone)
        # Jump close to ``start`` in one step, then settle; DST may leave us an hour off.
        start_utc = start.astimezone(UTC)
        times = math.floor((start_utc - anchor.astimezone(UTC)) / self.interval)
        for _ in range(MAX_ITERATIONS):
            if self._step(anchor, times, zone).astimezone(UTC) < start_utc:
                break
            times -= 1
        for _ in range(MAX_ITERATIONS):
            if self._step(anchor, times, zone).astimezone(UTC) >= start_utc:
                break
            times += 1
        while True:
            yield self._step(anchor, times, zone)
            times += 1


class CronSchedule(_ScheduleBase):
    """A cron expression evaluated in ``timezone`` (UTC when none is given)."""

    cron: str
    timezone: Optional[str] = None
    day_or: bool = True

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        if not croniter.is_valid(value):
            raise ValueError(f'Invalid cron string: "{value}"')
        # croniter understands random ("R") and hashed ("H") fields; schedules must be
        # reproducible, so they are refused.
        if any(token.upper() in ("R", "H") for token in value.split()):
            raise ValueError(f'Random and Hashed expressions are unsupported, received: "{value}"')
        return value

    def _candidates(self, start: dt.datetime, zone: dt.tzinfo) -> Iterator[dt.datetime]:
        """Cron ticks from ``start`` (a tick exactly at ``start`` included)."""
        # croniter works in whole seconds and returns ticks strictly after its base.
        base = start
        if base.microsecond:
            base = base.replace(microsecond=0) + dt.timedelta(seconds=1)
        iterator = croniter(self.cron, base - dt.timedelta(seconds=1), day_or=self.day_or)
        while True:
            yield iterator.get_next(dt.datetime).astimezone(zone)


class RRuleSchedule(_ScheduleBase):
    """An RFC 5545 recurrence rule (or rule set), wall-clock in ``timezone``."""

    rrule: str
    timezone: Optional[str] = "UTC"

    @field_validator("rrule")
    @classmethod
    def _valid_rrule(cls, value: str) -> str:
        if len(value) > MAX_RRULE_LENGTH:
            raise ValueError(f"Max length is {MAX_RRULE_LENGTH}, got {len(value)}")
        try:
            dateutil.rrule.rrulestr(value, dtstart=DEFAULT_ANCHOR_DATE, cache=True)
        except Exception as exc:  # dateutil raises assorted types for bad input
            raise ValueError(f'Invalid RRule string "{value}": {exc}') from exc
        return value

    def to_rrule(self) -> Union[dateutil.rrule.rrule, dateutil.rrule.rruleset]:
        """The parsed rule with DTSTART/UNTIL (and set dates) placed in ``timezone``."""
        zone = _zone(self.timezone)
        parsed = dateutil.rrule.rrulestr(self.rrule, dtstart=DEFAULT_ANCHOR_DATE, cache=True)

        def localize(rule: dateutil.rrule.rrule) -> dateutil.rrule.rrule:
            changes: dict[str, Any] = {"dtstart": rule._dtstart.replace(tzinfo=zone)}
            if rule._until:
                changes["until"] = rule._until.replace(tzinfo=zone)
            return rule.replace(**changes)

        if isinstance(parsed, dateutil.rrule.rrule):
            return localize(parsed)
        localized = dateutil.rrule.rruleset(cache=True)
        for rule in parsed._rrule:
            localized.rrule(localize(rule))
        for rule in parsed._exrule:
            localized.exrule(localize(rule))
        for date in parsed._rdate:
            localized.rdate(date.replace(tzinfo=zone))
        for date in parsed._exdate:
            localized.exdate(date.replace(tzinfo=zone))
        return localized

    def _candidates(self, start: dt.datetime, zone: dt.tzinfo) -> Iterator[dt.datetime]:
        """Occurrences of the rule from ``start`` (inclusive)."""
        return (date.astimezone(zone) for date in self.to_rrule().xafter(start, count=None, inc=True))


# Tried in this order, as the original does; each member refuses the others' keys.
Schedule = Annotated[
    Union[IntervalSchedule, CronSchedule, RRuleSchedule], Field(union_mode="left_to_right")
]
