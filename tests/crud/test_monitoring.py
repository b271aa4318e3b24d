"""``api.crud.monitoring``: heartbeats upserted per service, run counts per state (late
ones apart), and queue backlogs counting only due scheduled runs."""

from __future__ import annotations

import pytest
from django.utils import timezone

from api.crud import monitoring as crud
from tests.fixtures.rows import ago, from_now, new_flow_run, new_task_run, new_work_queue, scheduled, set_columns, state

pytestmark = pytest.mark.django_db


def test_a_heartbeat_is_one_row_per_service_overwritten_by_each_loop():
    crud.record_heartbeat("Scheduler", loop_seconds=60, duration_seconds=0.5, process="a")
    first = crud.read_heartbeats()["Scheduler"]
    crud.record_heartbeat("Scheduler", loop_seconds=30, duration_seconds=0.1, process="b")
    beats = crud.read_heartbeats()
    assert list(beats) == ["Scheduler"]
    assert (beats["Scheduler"].loop_seconds, beats["Scheduler"].process) == (30, "b")
    assert beats["Scheduler"].last_success >= first.last_success


def test_runs_are_counted_per_state_type_with_late_ones_apart():
    new_flow_run(initial=state("RUNNING"))
    new_flow_run(initial=scheduled(from_now(hours=1)))
    late = new_flow_run(initial=scheduled(ago(hours=1)))
    set_columns(late, state_name="Late")
    new_task_run(new_flow_run(initial=state("RUNNING")), state("COMPLETED"))

    by_type, late_count = crud.count_flow_runs_by_state()
    assert (by_type, late_count) == ({"RUNNING": 2, "SCHEDULED": 2}, 1)
    assert crud.count_task_runs_by_state() == {"COMPLETED": 1}


def test_backlogs_count_due_scheduled_runs_of_every_queue():
    busy = new_work_queue("pool-a", "busy")
    for when in (ago(minutes=5), from_now(hours=1)):
        run = new_flow_run(initial=scheduled(when))
        set_columns(run, work_queue=busy, next_scheduled_start_time=when)
    backlogs = crud.work_queue_backlogs(timezone.now())
    assert ("pool-a", "busy", 1) in backlogs and ("pool-a", "default", 0) in backlogs
    assert backlogs == sorted(backlogs)
