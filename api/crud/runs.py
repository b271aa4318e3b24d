"""Read-time figures of flow and task runs that are not stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.schemas.states import TERMINAL_STATES, StateType

ZERO = dt.timedelta(0)
_TERMINAL = frozenset(state.value for state in TERMINAL_STATES)

# ``run`` below is a flow or task run row, or any object with the same attributes
# (history reads plain named tuples).


def estimated_run_time(run: Any, now: dt.datetime) -> dt.timedelta:
    """Time spent running so far: the stored total, plus the current stretch if running."""
    if run.state_type == StateType.RUNNING.value and run.state_timestamp is not None:
        return run.total_run_time + max(now - run.state_timestamp, ZERO)
    return run.total_run_time


def estimated_start_time_delta(run: Any, now: dt.datetime) -> dt.timedelta:
    """How late the run started (or, not started yet and not finished, is so far)."""
    expected = run.expected_start_time
    if expected is None:
        return ZERO
    if run.start_time is not None:
        return max(run.start_time - expected, ZERO)
    if run.state_type not in _TERMINAL and expected < now:
        return now - expected
    return ZERO
