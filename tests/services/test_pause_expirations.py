"""FailExpiredPauses: runs paused past their timeout fail; other paused runs wait."""

from __future__ import annotations

import datetime as dt

from api.schemas.states import StateCreate
from api.services.pause_expirations import FailExpiredPauses
from tests.fixtures.rows import ago, from_now, state


def paused(timeout: dt.datetime | None = None) -> StateCreate:
    """A proposed PAUSED state, timing out at ``timeout`` (never when None)."""
    details = {"pause_timeout": timeout.isoformat()} if timeout is not None else {}
    return state("PAUSED", state_details=details)


def test_expired_pause_fails_the_run(make_flow_run, read_run) -> None:
    run = make_flow_run(state("RUNNING"), paused(ago(seconds=1)))

    FailExpiredPauses().run_once()

    body = read_run("flow", run.id)
    assert body["state_type"] == "FAILED"
    assert body["state"]["message"] == "The flow was paused and never resumed."


def test_pauses_without_timeout_or_not_expired_keep_waiting(make_flow_run, read_run, monkeypatch) -> None:
    # More waiting runs than a batch: the pass must still reach the expired one and end.
    monkeypatch.setattr(FailExpiredPauses, "batch_size", 1)
    waiting = [make_flow_run(state("RUNNING"), paused(from_now(hours=1))) for _ in range(3)]
    waiting.append(make_flow_run(state("RUNNING"), paused()))
    expired = make_flow_run(state("RUNNING"), paused(ago(minutes=5)))

    FailExpiredPauses().run_once()

    assert {read_run("flow", run.id)["state_type"] for run in waiting} == {"PAUSED"}
    assert read_run("flow", expired.id)["state_type"] == "FAILED"


def test_runs_that_left_the_paused_state_are_not_failed(make_flow_run, read_run) -> None:
    resumed = make_flow_run(state("RUNNING"), paused(ago(minutes=5)), state("RUNNING"))

    FailExpiredPauses().run_once()

    assert read_run("flow", resumed.id)["state_type"] == "RUNNING"


def test_each_expired_run_fails_once(make_flow_run, client) -> None:
    run = make_flow_run(state("RUNNING"), paused(ago(seconds=30)))

    FailExpiredPauses().run_once()
    FailExpiredPauses().run_once()

    history = client.get("/api/flow_run_states/", {"flow_run_id": str(run.id)}).json()
    assert [s["type"] for s in history] == ["RUNNING", "PAUSED", "FAILED"]
