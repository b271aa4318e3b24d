"""Run history (``/flow_runs/history``, ``/task_runs/history``) over runs spread across
several intervals: exact counts and sums per (interval, state), checked against the
per-run figures a run's own page shows, and a query count independent of the number
of runs."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any

import pytest
from django.utils import timezone

from api import models
from api.crud.runs import ZERO, estimated_run_time, estimated_start_time_delta
from tests.fixtures.http import count_queries, post
from tests.fixtures.rows import new_flow, new_flow_run

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=dt.timezone.utc)
START = dt.datetime(2026, 3, 1, 11, 30, tzinfo=dt.timezone.utc)
STEP = dt.timedelta(minutes=10)
BUCKETS = 6  # three intervals before NOW, three after


def at(minutes: float, microseconds: int = 0) -> dt.datetime:
    """START plus ``minutes`` and ``microseconds``."""
    return START + dt.timedelta(minutes=minutes, microseconds=microseconds)


# (expected start, state type, state name, state timestamp, start time, total run time)
RUNS: list[tuple[Any, ...]] = [
    # Finished late by 90.000123 s, ran 42.5 s.
    (at(1), "COMPLETED", "Completed", at(3), at(2.5, 123), dt.timedelta(seconds=42.5)),
    # Started before it was expected: no lateness.
    (at(2, 7), "COMPLETED", "Completed", at(4), at(1), dt.timedelta(seconds=3, microseconds=999999)),
    # Never started, finished: no lateness; a negative total counts as zero.
    (at(9), "CRASHED", "Crashed", at(9), None, dt.timedelta(seconds=-5)),
    # Exactly on an interval boundary: the later interval.
    (at(10), "FAILED", "Failed", at(11), at(10, 1), dt.timedelta(seconds=60)),
    # Running since 12 minutes before NOW: its total plus the current stretch.
    (at(15), "RUNNING", "Running", NOW - dt.timedelta(minutes=12, microseconds=5), at(16), dt.timedelta(seconds=7)),
    # A running state stamped after NOW adds no stretch; no timestamp adds none either.
    (at(16), "RUNNING", "Running", NOW + dt.timedelta(seconds=30), at(16), dt.timedelta(seconds=1)),
    (at(17), "RUNNING", "Running", None, at(17), dt.timedelta(seconds=2)),
    # Not started and overdue: late by the time until NOW.
    (at(21, 11), "SCHEDULED", "Late", at(20), None, ZERO),
    (at(25), "PENDING", "Pending", at(25), None, ZERO),
    (at(29, 999999), "SCHEDULED", "Scheduled", at(20), None, ZERO),
    # Expected after NOW: not late yet.
    (at(31), "SCHEDULED", "Scheduled", at(20), None, ZERO),
    (at(45), "SCHEDULED", "Scheduled", at(20), None, ZERO),
    (at(59, 999999), "SCHEDULED", "Scheduled", at(20), None, ZERO),
    # Outside the window: before it, and at the end of the last interval.
    (START - dt.timedelta(microseconds=1), "COMPLETED", "Completed", at(0), at(0), dt.timedelta(seconds=9)),
    (at(60), "SCHEDULED", "Scheduled", at(20), None, ZERO),
]


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """The clock stopped at NOW, so running stretches and lateness are exact."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def run_columns(spec: tuple[Any, ...]) -> dict[str, Any]:
    expected, state_type, state_name, stamp, started, total = spec
    return {
        "expected_start_time": expected, "state_type": state_type, "state_name": state_name,
        "state_timestamp": stamp, "start_time": started, "total_run_time": total,
    }


# Runs with given state columns and times, as orchestration would have left them: written
# directly (the API cannot backdate states), in bulk.
def add_flow_runs(flow: models.Flow, specs: list[tuple[Any, ...]]) -> list[models.FlowRun]:
    rows = [models.FlowRun(id=uuid.uuid4(), flow=flow, name=f"run-{n}", **run_columns(spec)) for n, spec in enumerate(specs)]
    return models.FlowRun.objects.bulk_create(rows)


def add_task_runs(flow_run: models.FlowRun, specs: list[tuple[Any, ...]]) -> list[models.TaskRun]:
    rows = [
        models.TaskRun(id=uuid.uuid4(), flow_run=flow_run, name=f"task-{n}", task_key=f"task-{n}", dynamic_key="0", **run_columns(spec))
        for n, spec in enumerate(specs)
    ]
    return models.TaskRun.objects.bulk_create(rows)


def expected_history(rows: list[Any]) -> list[dict[str, Any]]:
    """The history computed run by run from the figures each run shows on its own."""
    sums: dict[tuple[int, str, str], list[Any]] = defaultdict(lambda: [0, ZERO, ZERO])
    for row in rows:
        if not START <= row.expected_start_time < START + BUCKETS * STEP:
            continue
        entry = sums[((row.expected_start_time - START) // STEP, row.state_type, row.state_name)]
        entry[0] += 1
        entry[1] += max(estimated_run_time(row, NOW), ZERO)
        entry[2] += max(estimated_start_time_delta(row, NOW), ZERO)
    buckets = [[] for _ in range(BUCKETS)]
    for (index, state_type, state_name), (count, run_time, lateness) in sorted(sums.items()):
        buckets[index].append({
            "state_type": state_type, "state_name": state_name, "count_runs": count,
            "sum_estimated_run_time": run_time.total_seconds(), "sum_estimated_lateness": lateness.total_seconds(),
        })
    return buckets


def history_body(**filters: Any) -> dict[str, Any]:
    return {
        "history_start": START.isoformat(), "history_end": (START + BUCKETS * STEP - dt.timedelta(seconds=1)).isoformat(),
        "history_interval_seconds": STEP.total_seconds(), **filters,
    }


def test_flow_run_history_counts_and_sums_per_interval_and_state(client, frozen_now):
    flow = new_flow()
    rows = add_flow_runs(flow, RUNS)
    history = post(client, "/flow_runs/history", history_body(flows={"id": {"any_": [str(flow.id)]}})).json()

    assert [bucket["interval_start"] for bucket in history] == [(START + n * STEP).isoformat(timespec="microseconds") for n in range(BUCKETS)]
    assert [bucket["states"] for bucket in history] == expected_history(rows)
    # A few figures by hand, so the check does not only mirror the per-run code.
    first = {entry["state_name"]: entry for entry in history[0]["states"]}
    assert first["Completed"]["count_runs"] == 2
    assert first["Completed"]["sum_estimated_lateness"] == 90.000123
    assert first["Completed"]["sum_estimated_run_time"] == 46.499999
    assert first["Crashed"]["sum_estimated_run_time"] == 0.0
    running = next(entry for entry in history[1]["states"] if entry["state_type"] == "RUNNING")
    assert running["count_runs"] == 3
    assert running["sum_estimated_run_time"] == 7 + 720.000005 + 1 + 2
    late = next(entry for entry in history[2]["states"] if entry["state_name"] == "Late")
    assert late["sum_estimated_lateness"] == (NOW - at(21, 11)).total_seconds()
    assert [sum(entry["count_runs"] for entry in bucket["states"]) for bucket in history] == [3, 4, 3, 1, 1, 1]


def test_task_run_history_counts_and_sums_per_interval_and_state(client, frozen_now):
    flow_run = new_flow_run()
    rows = add_task_runs(flow_run, RUNS)
    body = history_body(flow_runs={"id": {"any_": [str(flow_run.id)]}})
    history = post(client, "/task_runs/history", body).json()

    assert [bucket["states"] for bucket in history] == expected_history(rows)
    assert [sum(entry["count_runs"] for entry in bucket["states"]) for bucket in history] == [3, 4, 3, 1, 1, 1]


def test_history_query_count_does_not_grow_with_the_number_of_runs(client, frozen_now):
    flow = new_flow()
    add_flow_runs(flow, RUNS)
    body = history_body(flows={"id": {"any_": [str(flow.id)]}})
    few_queries, few = count_queries(client, "post", "/flow_runs/history", body)

    add_flow_runs(flow, RUNS * 40)
    many_queries, many = count_queries(client, "post", "/flow_runs/history", body)

    assert many.status_code == few.status_code == 200
    assert sum(entry["count_runs"] for bucket in many.json() for entry in bucket["states"]) == 41 * 13
    assert many_queries == few_queries
