"""CancellationCleanup: what a cancelled flow run leaves running is cancelled too.

Every ``PREFECT_API_SERVICES_CANCELLATION_CLEANUP_LOOP_SECONDS`` (20 s):

1. a CANCELLING flow run that nobody finished is forced to ``Cancelled``: once it has been
   cancelling for ``PREFECT_API_SERVICES_CANCELLATION_CLEANUP_TIMEOUT_SECONDS`` (180 s; the
   agent that should stop its infrastructure is gone), or at once if it never started
   (a SCHEDULED/PENDING run has no infrastructure to stop, so cancelling it stays
   immediate); a timeout of ``inf`` turns this step off;
2. unfinished task runs of flow runs cancelled in the last 24 hours are forced to
   ``Cancelled``;
3. unfinished sub-flow runs whose parent task run belongs to a cancelled flow run are
   forced to ``Cancelled`` (their own task runs follow on a later pass, once the sub-flow
   run has an end time).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from api.crud import run_maintenance
from api.schemas.states import StateCreate, StateType
from api.services.transitions import SweepService, force_flow_run_state, force_task_run_state

if TYPE_CHECKING:
    from api.models import FlowRun, TaskRun

PARENT_CANCELLED_MESSAGE = "The parent flow run was cancelled."
# Runs cancelled longer ago than this were cleaned up by earlier passes.
CANCELLED_WITHIN = dt.timedelta(hours=24)


def _cancelled() -> StateCreate:
    return StateCreate(type=StateType.CANCELLED, message=PARENT_CANCELLED_MESSAGE)


def stuck_cancelling_message(timeout_seconds: float) -> str:
    """Why a cancelling flow run was set cancelled by the server."""
    return (
        f"Cancelled by the server: the flow run was still cancelling after {timeout_seconds:g} "
        "seconds, or had never started."
    )


class CancellationCleanup(SweepService):
    """Finish stuck cancellations; cancel the task runs and sub-flow runs of cancelled flow runs."""

    settings_prefix = "PREFECT_API_SERVICES_CANCELLATION_CLEANUP"
    default_loop_seconds = 20.0

    def run_once(self) -> None:
        """Finish stuck cancellations, then cancel the children of recently cancelled flow runs."""
        now = timezone.now()
        timeout = float(settings.PREFECT_API_SERVICES_CANCELLATION_CLEANUP_TIMEOUT_SECONDS)
        # ``inf`` keeps Prefect 2.8.7's behaviour: cancelling runs wait for an agent forever.
        if math.isfinite(timeout):
            stuck = StateCreate(type=StateType.CANCELLED, message=stuck_cancelling_message(timeout))
            self.sweep(
                lambda limit, after_id: run_maintenance.lock_stuck_cancelling_flow_runs(
                    now - dt.timedelta(seconds=timeout), limit, after_id
                ),
                lambda run: force_flow_run_state(run.id, stuck),
            )
        since = now - CANCELLED_WITHIN
        self.sweep(
            lambda limit, after_id: run_maintenance.lock_unfinished_task_runs_of_cancelled_flow_runs(
                since, limit, after_id
            ),
            self._cancel_task_run,
        )
        self.sweep(run_maintenance.lock_unfinished_subflow_runs_of_cancelled_parents, self._cancel_subflow_run)

    @staticmethod
    def _cancel_task_run(task_run: TaskRun) -> bool:
        return force_task_run_state(task_run.id, _cancelled())

    @staticmethod
    def _cancel_subflow_run(flow_run: FlowRun) -> bool:
        return force_flow_run_state(flow_run.id, _cancelled())
