"""``api.crud.run_maintenance``: which runs each service pass picks (names, timeouts,
signs of life), paging by id, and leaked concurrency slots given back."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction
from django.utils import timezone

from api.crud import run_maintenance as crud
from api.crud.concurrency_limits import get_concurrency_limit_by_tag
from api.crud.logs import create_logs
from api.schemas.actions import LogCreate
from tests.fixtures.rows import (
    ago,
    from_now,
    new_concurrency_limit,
    new_flow_run,
    new_task_run,
    scheduled,
    set_columns,
    state,
)

pytestmark = pytest.mark.django_db


def test_only_plainly_scheduled_runs_due_by_the_cutoff_are_late():
    due = new_flow_run(initial=scheduled(ago(minutes=5)))
    new_flow_run(initial=scheduled(from_now(minutes=5)))
    retrying = new_flow_run(initial=scheduled(ago(minutes=5)))
    set_columns(retrying, state_name="AwaitingRetry")
    with transaction.atomic():
        assert [r.id for r in crud.lock_late_runs(timezone.now(), limit=10)] == [due.id]


def test_late_runs_are_paged_by_id():
    runs = sorted((new_flow_run(initial=scheduled(ago(minutes=1))) for _ in range(3)), key=lambda r: r.id)
    with transaction.atomic():
        first = crud.lock_late_runs(timezone.now(), limit=2)
        rest = crud.lock_late_runs(timezone.now(), limit=2, after_id=first[-1].id)
    assert [r.id for r in first + rest] == [r.id for r in runs]


def test_pauses_without_a_timeout_never_expire():
    running = state("RUNNING")
    expired = new_flow_run(None, running, state("PAUSED", state_details={"pause_timeout": ago(minutes=1).isoformat()}))
    new_flow_run(None, running, state("PAUSED", state_details={"pause_timeout": from_now(hours=1).isoformat()}))
    new_flow_run(None, running, state("PAUSED"))
    with transaction.atomic():
        assert [r.id for r in crud.lock_expired_paused_runs(timezone.now(), limit=10)] == [expired.id]


def test_unfinished_work_of_cancelled_runs():
    cancelled = new_flow_run(None, state("RUNNING"), state("CANCELLED"))
    set_columns(cancelled, end_time=ago(minutes=1))
    open_task = new_task_run(cancelled, state("RUNNING"))
    new_task_run(cancelled, state("COMPLETED"))
    subflow = new_flow_run(initial=state("RUNNING"), parent_task_run_id=open_task.id)
    with transaction.atomic():
        assert [t.id for t in crud.lock_unfinished_task_runs_of_cancelled_flow_runs(ago(hours=1), limit=10)] == [open_task.id]
        assert crud.lock_unfinished_task_runs_of_cancelled_flow_runs(from_now(minutes=1), limit=10) == []
        assert [r.id for r in crud.lock_unfinished_subflow_runs_of_cancelled_parents(limit=10)] == [subflow.id]


def test_a_log_line_or_a_task_change_is_a_sign_of_life():
    silent = new_flow_run(initial=state("RUNNING"))
    logging = new_flow_run(initial=state("RUNNING"))
    busy = new_flow_run(initial=state("RUNNING"))
    for run in (silent, logging, busy):
        set_columns(run, state_timestamp=ago(hours=1))
    create_logs([LogCreate(name="l", level=20, message="alive", timestamp=timezone.now(), flow_run_id=logging.id)])
    new_task_run(busy, state("RUNNING"))
    with transaction.atomic():
        assert [r.id for r in crud.lock_inactive_running_flow_runs(ago(minutes=10), limit=10)] == [silent.id]


def test_stuck_cancelling_runs_are_old_ones_or_never_started():
    old = new_flow_run(None, state("RUNNING"), state("CANCELLING"))
    set_columns(old, state_timestamp=ago(hours=1))
    never_started = new_flow_run(None, state("CANCELLING"))
    fresh = new_flow_run(None, state("RUNNING"), state("CANCELLING"))
    set_columns(fresh, start_time=timezone.now())
    with transaction.atomic():
        found = {r.id for r in crud.lock_stuck_cancelling_flow_runs(ago(minutes=10), limit=10)}
    assert found == {old.id, never_started.id}


def test_leaked_slots_are_released_and_live_ones_kept():
    run = new_flow_run(initial=state("RUNNING"))
    live = new_task_run(run, state("RUNNING"))
    done = new_task_run(run, state("COMPLETED"))
    limit = new_concurrency_limit("db", 5)
    set_columns(limit, active_slots=[str(live.id), str(done.id), str(uuid.uuid4())])
    with transaction.atomic():
        assert crud.release_leaked_concurrency_slots(timezone.now()) == 2
    assert get_concurrency_limit_by_tag("db").active_slots == [str(live.id)]
    with transaction.atomic():
        assert crud.release_leaked_concurrency_slots(timezone.now()) == 0
