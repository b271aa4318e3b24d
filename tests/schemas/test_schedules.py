"""Schedules: validation and the dates interval, cron and RRule schedules produce,
including across daylight-saving changes."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import TypeAdapter, ValidationError

from api.schemas.schedules import CronSchedule, IntervalSchedule, RRuleSchedule, Schedule

UTC = dt.timezone.utc
SCHEDULE = TypeAdapter(Schedule)


def iso(dates):
    return [date.isoformat() for date in dates]


def test_union_picks_the_right_kind_and_serialises_like_the_original():
    interval = SCHEDULE.validate_python({"interval": 3600, "anchor_date": "2026-01-01T00:00:00", "timezone": None})
    assert isinstance(interval, IntervalSchedule)
    assert interval.model_dump(mode="json") == {
        "interval": 3600.0,
        "anchor_date": "2026-01-01T00:00:00.000000+00:00",
        "timezone": "UTC",
    }
    assert isinstance(SCHEDULE.validate_python({"cron": "0 9 * * *"}), CronSchedule)
    rrule = SCHEDULE.validate_python({"rrule": "FREQ=DAILY"})
    assert isinstance(rrule, RRuleSchedule) and rrule.timezone == "UTC"


@pytest.mark.parametrize(
    "body",
    [
        {"interval": 0},
        {"interval": -5},
        {"interval": 60, "timezone": "Mars/Olympus"},
        {"interval": 60, "extra": True},
        {"cron": "not a cron"},
        {"cron": "H * * * *"},
        {"cron": "0 R * * *"},
        {"rrule": "FREQ=SOMETIMES"},
        {"rrule": "FREQ=DAILY;" + "BYHOUR=1;" * 1000},
    ],
)
def test_invalid_schedules_are_refused(body):
    with pytest.raises(ValidationError):
        SCHEDULE.validate_python(body)


def test_interval_dates_follow_the_anchor_in_both_directions():
    schedule = IntervalSchedule(interval=dt.timedelta(minutes=15), anchor_date=dt.datetime(2026, 6, 1, 0, 5, tzinfo=UTC))
    start = dt.datetime(2026, 1, 1, 12, 0, 1, tzinfo=UTC)
    assert iso(schedule.get_dates(n=3, start=start)) == [
        "2026-01-01T12:05:00+00:00",
        "2026-01-01T12:20:00+00:00",
        "2026-01-01T12:35:00+00:00",
    ]
    exact = dt.datetime(2026, 6, 1, 0, 5, tzinfo=UTC)
    assert schedule.get_dates(n=1, start=exact) == [exact]
    end = exact + dt.timedelta(minutes=40)
    assert len(schedule.get_dates(start=exact, end=end)) == 3


def test_daily_interval_keeps_wall_clock_across_dst():
    schedule = IntervalSchedule(
        interval=dt.timedelta(days=1), anchor_date=dt.datetime(2026, 1, 1, 14, 0, tzinfo=UTC), timezone="America/New_York"
    )
    dates = schedule.get_dates(n=4, start=dt.datetime(2026, 3, 6, tzinfo=UTC))
    assert iso(dates) == [
        "2026-03-06T09:00:00-05:00",
        "2026-03-07T09:00:00-05:00",
        "2026-03-08T09:00:00-04:00",
        "2026-03-09T09:00:00-04:00",
    ]
    # Far from the anchor, on the other side of a change, it is still 9:00 local.
    summer = schedule.get_dates(n=1, start=dt.datetime(2026, 7, 1, tzinfo=UTC))
    assert iso(summer) == ["2026-07-01T09:00:00-04:00"]


def test_hourly_interval_follows_absolute_time_across_dst():
    schedule = IntervalSchedule(
        interval=dt.timedelta(hours=1), anchor_date=dt.datetime(2026, 3, 8, 5, 0, tzinfo=UTC), timezone="America/New_York"
    )
    dates = schedule.get_dates(n=3, start=dt.datetime(2026, 3, 8, 6, 0, tzinfo=UTC))
    assert iso(dates) == ["2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"]
    first = dates[0].astimezone(UTC)
    assert [date.astimezone(UTC) - first for date in dates[1:]] == [dt.timedelta(hours=1), dt.timedelta(hours=2)]


def test_cron_dates_in_their_time_zone_across_dst():
    schedule = CronSchedule(cron="0 9 * * *", timezone="America/New_York")
    dates = schedule.get_dates(n=3, start=dt.datetime(2026, 3, 7, tzinfo=UTC))
    assert iso(dates) == ["2026-03-07T09:00:00-05:00", "2026-03-08T09:00:00-04:00", "2026-03-09T09:00:00-04:00"]
    fall = schedule.get_dates(n=2, start=dt.datetime(2026, 10, 31, 14, tzinfo=UTC))
    assert iso(fall) == ["2026-11-01T09:00:00-05:00", "2026-11-02T09:00:00-05:00"]


def test_cron_includes_a_tick_exactly_at_start_and_honours_day_or():
    start = dt.datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    assert CronSchedule(cron="0 * * * *").get_dates(n=1, start=start) == [start]
    assert iso(CronSchedule(cron="0 * * * *").get_dates(n=1, start=start + dt.timedelta(microseconds=5))) == [
        "2026-05-01T11:00:00+00:00"
    ]
    # 2026-05-01 is a Friday. day_or: the 1st OR Mondays; otherwise the 1st AND a Monday.
    either = CronSchedule(cron="0 0 1 * MON", day_or=True).get_dates(n=2, start=dt.datetime(2026, 5, 1, tzinfo=UTC))
    assert iso(either) == ["2026-05-01T00:00:00+00:00", "2026-05-04T00:00:00+00:00"]
    both = CronSchedule(cron="0 0 1 * MON", day_or=False).get_dates(n=1, start=dt.datetime(2026, 5, 1, tzinfo=UTC))
    assert iso(both) == ["2026-06-01T00:00:00+00:00"]


def test_cron_stops_at_end():
    schedule = CronSchedule(cron="*/10 * * * *")
    start = dt.datetime(2026, 5, 1, tzinfo=UTC)
    assert len(schedule.get_dates(start=start, end=start + dt.timedelta(hours=1))) == 7


def test_rrule_in_its_time_zone():
    schedule = RRuleSchedule(rrule="DTSTART:20260301T090000\nRRULE:FREQ=DAILY;COUNT=10", timezone="America/New_York")
    dates = schedule.get_dates(n=3, start=dt.datetime(2026, 3, 7, tzinfo=UTC))
    assert iso(dates) == ["2026-03-07T09:00:00-05:00", "2026-03-08T09:00:00-04:00", "2026-03-09T09:00:00-04:00"]
    # COUNT ends the rule: only 10 occurrences ever.
    assert len(schedule.get_dates(n=50, start=dt.datetime(2026, 1, 1, tzinfo=UTC))) == 10


def test_rrule_sets_and_start_inclusive():
    text = "DTSTART:20260105T080000\nRRULE:FREQ=WEEKLY;BYDAY=MO\nEXDATE:20260112T080000"
    schedule = RRuleSchedule(rrule=text)
    start = dt.datetime(2026, 1, 5, 8, tzinfo=UTC)
    assert iso(schedule.get_dates(n=3, start=start)) == [
        "2026-01-05T08:00:00+00:00",
        "2026-01-19T08:00:00+00:00",
        "2026-01-26T08:00:00+00:00",
    ]


def test_hourly_interval_through_the_repeated_hour():
    schedule = IntervalSchedule(
        interval=dt.timedelta(minutes=30), anchor_date=dt.datetime(2026, 11, 1, 4, 0, tzinfo=UTC), timezone="America/New_York"
    )
    dates = schedule.get_dates(n=4, start=dt.datetime(2026, 11, 1, 5, 0, tzinfo=UTC))
    # 01:00 and 01:30 happen twice (EDT, then EST): four distinct instants, 30 min apart.
    assert iso(dates) == [
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T01:30:00-05:00",
    ]


def test_defaults_without_n():
    schedule = IntervalSchedule(interval=dt.timedelta(hours=1), anchor_date=dt.datetime(2026, 1, 1, tzinfo=UTC))
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert len(schedule.get_dates(start=start)) == 1
    assert len(schedule.get_dates(start=start, end=start + dt.timedelta(days=1))) == 25
    assert schedule.get_dates(n=5, start=start, end=start - dt.timedelta(seconds=1)) == []
    assert schedule.get_dates(n=0, start=start) == []
    assert schedule.get_dates(n=1)[0] > dt.datetime.now(UTC) - dt.timedelta(hours=1)
