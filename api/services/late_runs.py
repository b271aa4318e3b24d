"""MarkLateRuns: scheduled runs that did not start on time become ``Late``.

Every ``PREFECT_API_SERVICES_LATE_RUNS_LOOP_SECONDS`` (5 s), runs still named ``Scheduled``
whose start time is more than ``PREFECT_API_SERVICES_LATE_RUNS_AFTER_SECONDS`` (5 s) in the
past are forced into a SCHEDULED state named ``Late`` that keeps their scheduled time, so
agents still pick them up and notification policies on ``Late`` fire.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from api.crud import run_maintenance
from api.schemas.states import StateCreate, StateDetails, StateType
from api.services.transitions import SweepService, force_flow_run_state

if TYPE_CHECKING:
    from api.models import FlowRun


class MarkLateRuns(SweepService):
    """Mark overdue scheduled flow runs as ``Late``."""

    settings_prefix = "PREFECT_API_SERVICES_LATE_RUNS"
    default_loop_seconds = 5.0
    batch_size = 400

    def run_once(self) -> None:
        """Mark every run that is overdue now; return when none is left."""
        cutoff = timezone.now() - dt.timedelta(seconds=settings.PREFECT_API_SERVICES_LATE_RUNS_AFTER_SECONDS)
        self.sweep(lambda limit, after_id: run_maintenance.lock_late_runs(cutoff, limit, after_id), self._mark_late)

    @staticmethod
    def _mark_late(run: FlowRun) -> bool:
        late = StateCreate(
            type=StateType.SCHEDULED,
            name="Late",
            state_details=StateDetails(scheduled_time=run.next_scheduled_start_time),
        )
        return force_flow_run_state(run.id, late)
