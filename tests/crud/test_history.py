"""``api.crud.history`` and ``api.crud.runs``: interval bounds, and the read-time figures
(run time so far, lateness) of the UI's history points."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from api.crud import history, runs
from tests.fixtures.rows import ago, new_flow_run, scheduled, set_columns, state

START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
HOUR = dt.timedelta(hours=1)


def test_intervals_cover_the_range_and_the_last_one_may_pass_its_end():
    assert history.intervals(START, START + 2.5 * HOUR, HOUR) == [
        (START, START + HOUR),
        (START + HOUR, START + 2 * HOUR),
        (START + 2 * HOUR, START + 3 * HOUR),
    ]
    assert history.intervals(START, START, HOUR) == []
    assert len(history.intervals(START, START + 10**6 * HOUR, HOUR)) == history.MAX_INTERVALS


def test_intervals_stop_at_the_last_storable_datetime():
    start = history.DATETIME_MAX - HOUR / 2
    assert history.intervals(start, history.DATETIME_MAX, HOUR) == [(start, history.DATETIME_MAX)]


def _run(**fields):
    values = {"state_type": "COMPLETED", "state_timestamp": None, "total_run_time": dt.timedelta(0),
              "expected_start_time": None, "start_time": None, **fields}
    return SimpleNamespace(**values)


def test_a_running_run_counts_its_current_stretch():
    now = START + HOUR
    running = _run(state_type="RUNNING", state_timestamp=START, total_run_time=dt.timedelta(minutes=5))
    assert runs.estimated_run_time(running, now) == dt.timedelta(minutes=65)
    # A state stamped after ``now`` (another clock) adds nothing rather than going negative.
    skewed = _run(state_type="RUNNING", state_timestamp=now + HOUR, total_run_time=dt.timedelta(minutes=5))
    assert runs.estimated_run_time(skewed, now) == dt.timedelta(minutes=5)


def test_lateness_of_started_waiting_and_finished_runs():
    now = START + HOUR
    assert runs.estimated_start_time_delta(_run(expected_start_time=START, start_time=START + 2 * HOUR), now) == 2 * HOUR
    assert runs.estimated_start_time_delta(_run(expected_start_time=START, start_time=START - HOUR), now) == dt.timedelta(0)
    assert runs.estimated_start_time_delta(_run(state_type="SCHEDULED", expected_start_time=START), now) == HOUR
    assert runs.estimated_start_time_delta(_run(expected_start_time=START), now) == dt.timedelta(0)
    assert runs.estimated_start_time_delta(_run(), now) == dt.timedelta(0)


@pytest.mark.django_db
def test_history_points_use_the_start_time_or_else_the_expected_one():
    waiting = new_flow_run(initial=scheduled(ago(hours=1)))
    started = new_flow_run(initial=state("RUNNING"))
    set_columns(started, start_time=timezone.now())
    waiting.refresh_from_db()
    started.refresh_from_db()
    points = {point.id: point for point in history.simple_flow_runs([waiting, started])}
    assert points[waiting.id].timestamp == waiting.expected_start_time
    assert points[waiting.id].lateness >= dt.timedelta(minutes=59)
    assert points[started.id].timestamp == started.start_time
