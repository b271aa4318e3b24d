"""The schedulers: turn deployment schedules into auto-scheduled flow runs.

``Scheduler`` (every ``PREFECT_API_SERVICES_SCHEDULER_LOOP_SECONDS``, 60 s) tops up every
active scheduled deployment that has fewer than ``..._SCHEDULER_MIN_RUNS`` future runs or
whose runs end within ``..._SCHEDULER_MIN_SCHEDULED_TIME``. ``RecentDeploymentsScheduler``
(every 5 s) schedules deployments created or changed since its last pass, so a new
deployment has runs within seconds. Run generation and insertion are
``api.crud.scheduling.schedule_runs``; its idempotency keys make both services, and any
number of service processes, safe to run together.
"""

from __future__ import annotations

import datetime as dt
import logging
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from api.crud import scheduling
from api.services.base import LoopService
from api.utilities.database import is_database_unavailable

logger = logging.getLogger("orion.services")


class Scheduler(LoopService):
    """Keep every active deployment schedule stocked with future runs."""

    enabled_setting = "PREFECT_API_SERVICES_SCHEDULER_ENABLED"
    loop_seconds_setting = "PREFECT_API_SERVICES_SCHEDULER_LOOP_SECONDS"
    default_loop_seconds = 60.0

    def run_once(self) -> None:
        """Schedule runs for every deployment that needs them, a page at a time."""
        now = timezone.now()
        batch_size = settings.PREFECT_API_SERVICES_SCHEDULER_DEPLOYMENT_BATCH_SIZE
        after_id: UUID | None = None
        while True:
            deployment_ids = self.deployment_ids(now, batch_size, after_id)
            for deployment_id in deployment_ids:
                self.schedule_deployment(deployment_id, now)
            if len(deployment_ids) < batch_size:
                return
            after_id = deployment_ids[-1]

    def deployment_ids(self, now: dt.datetime, limit: int, after_id: UUID | None) -> list[UUID]:
        """One page of deployments to schedule, after ``after_id``."""
        return scheduling.deployment_ids_needing_runs(
            now,
            min_runs=settings.PREFECT_API_SERVICES_SCHEDULER_MIN_RUNS,
            min_scheduled_time=dt.timedelta(seconds=settings.PREFECT_API_SERVICES_SCHEDULER_MIN_SCHEDULED_TIME),
            limit=limit,
            after_id=after_id,
        )

    @staticmethod
    def schedule_deployment(deployment_id: UUID, now: dt.datetime) -> None:
        """Insert the deployment's missing runs; a failure is logged and skipped."""
        try:
            with transaction.atomic():
                scheduling.schedule_runs(
                    deployment_id,
                    start_time=now,
                    end_time=now
                    + dt.timedelta(seconds=settings.PREFECT_API_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME),
                    min_time=dt.timedelta(seconds=settings.PREFECT_API_SERVICES_SCHEDULER_MIN_SCHEDULED_TIME),
                    min_runs=settings.PREFECT_API_SERVICES_SCHEDULER_MIN_RUNS,
                    max_runs=settings.PREFECT_API_SERVICES_SCHEDULER_MAX_RUNS,
                )
        except Exception as exc:  # noqa: BLE001 - one broken deployment must not block the others
            if is_database_unavailable(exc):
                raise  # an outage ends the whole pass, logged once by the loop
            logger.exception("Could not schedule runs for deployment %s", deployment_id)


class RecentDeploymentsScheduler(Scheduler):
    """Schedule deployments created or changed since the previous pass (every 5 s)."""

    loop_seconds_setting = None
    default_loop_seconds = 5.0

    def deployment_ids(self, now: dt.datetime, limit: int, after_id: UUID | None) -> list[UUID]:
        """Deployments updated within one interval (plus a second of slack)."""
        since = now - dt.timedelta(seconds=self.loop_seconds + 1)
        return scheduling.recently_updated_deployment_ids(since, limit, after_id)
