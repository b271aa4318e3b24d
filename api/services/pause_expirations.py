"""FailExpiredPauses: paused runs that were never resumed in time fail.

Every ``PREFECT_API_SERVICES_PAUSE_EXPIRATIONS_LOOP_SECONDS`` (5 s), flow runs whose
current PAUSED state has a ``pause_timeout`` in the past are forced to ``Failed``. The
timeout is compared in SQL, so runs paused without a timeout, or not yet expired, cost
nothing and never stall the pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from api.crud import run_maintenance
from api.schemas.states import StateCreate, StateType
from api.services.transitions import SweepService, force_flow_run_state

if TYPE_CHECKING:
    from api.models import FlowRun

EXPIRED_PAUSE_MESSAGE = "The flow was paused and never resumed."


class FailExpiredPauses(SweepService):
    """Fail flow runs whose pause timed out."""

    settings_prefix = "PREFECT_API_SERVICES_PAUSE_EXPIRATIONS"
    default_loop_seconds = 5.0

    def run_once(self) -> None:
        """Fail every run whose pause has expired by now."""
        now = timezone.now()
        self.sweep(lambda limit, after_id: run_maintenance.lock_expired_paused_runs(now, limit, after_id), self._fail)

    @staticmethod
    def _fail(run: FlowRun) -> bool:
        return force_flow_run_state(run.id, StateCreate(type=StateType.FAILED, message=EXPIRED_PAUSE_MESSAGE))
