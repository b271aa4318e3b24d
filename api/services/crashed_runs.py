"""CrashedRuns: flow runs whose process died are marked ``Crashed``; leaked slots are freed.

A process that dies (killed, machine lost) leaves its flow run RUNNING forever and its
task runs' concurrency slots taken. Every ``PREFECT_API_SERVICES_CRASHED_RUNS_LOOP_SECONDS``
(60 s):

1. a RUNNING flow run with no activity for ``PREFECT_API_SERVICES_CRASHED_RUNS_AFTER_SECONDS``
   (3600 s) — no state change of it or of its task runs, no log line received for it, no
   unfinished sub-flow run — is forced to ``Crashed`` with a message saying why, and its
   RUNNING task runs are forced to ``Crashed`` too (which gives their slots back);
2. every concurrency slot held by a task run that is gone, no longer running, or whose
   flow run is finished, is released.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from api.crud import run_maintenance
from api.schemas.states import StateCreate, StateType
from api.services.transitions import SweepService, force_flow_run_state, force_task_run_state

if TYPE_CHECKING:
    from api.models import FlowRun

logger = logging.getLogger("orion.services")

TASK_RUN_CRASHED_MESSAGE = "The flow run of this task run crashed: it showed no activity."


def inactivity_message(seconds: float) -> str:
    """Why a flow run was marked crashed."""
    return (
        f"No activity for {seconds:g} seconds (no state change of the flow run or of its task "
        "runs, no log line): its process is presumed dead. Marked crashed by the server."
    )


class CrashedRuns(SweepService):
    """Mark inactive RUNNING flow runs (and their running task runs) ``Crashed``."""

    settings_prefix = "PREFECT_API_SERVICES_CRASHED_RUNS"
    default_loop_seconds = 60.0
    batch_size = 100

    def run_once(self) -> None:
        """Crash the inactive runs, then release the slots nobody holds any more."""
        after_seconds = float(settings.PREFECT_API_SERVICES_CRASHED_RUNS_AFTER_SECONDS)
        cutoff = timezone.now() - dt.timedelta(seconds=after_seconds)
        message = inactivity_message(after_seconds)
        crashed = self.sweep(
            lambda limit, after_id: run_maintenance.lock_inactive_running_flow_runs(cutoff, limit, after_id),
            lambda run: self._crash(run, message),
        )
        with transaction.atomic():
            released = run_maintenance.release_leaked_concurrency_slots(timezone.now())
        if crashed or released:
            logger.info("%s: %d flow runs marked crashed, %d leaked slots released", self.name, crashed, released)

    @staticmethod
    def _crash(run: FlowRun, message: str) -> bool:
        if not force_flow_run_state(run.id, StateCreate(type=StateType.CRASHED, message=message)):
            return False
        task_state = StateCreate(type=StateType.CRASHED, message=TASK_RUN_CRASHED_MESSAGE)
        for task_run in run_maintenance.running_task_runs_of(run.id):
            force_task_run_state(task_run.id, task_state)
        return True
