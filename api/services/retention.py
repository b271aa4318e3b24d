"""Retention: finished flow runs older than the retention period are deleted.

Every ``PREFECT_API_SERVICES_RETENTION_LOOP_SECONDS`` (3600 s), flow runs in a terminal
state that ended more than ``PREFECT_API_SERVICES_RETENTION_DAYS`` (90, a float) ago are
deleted with their task runs, states, logs, artifacts and the anonymous block documents
created for them, in transactions of at most 500 runs or rows (see
``api.crud.retention``), each followed by a pause as long as it took: a big purge takes
twice as long, and writers never wait for more than one short transaction.
``manage.py orion_purge`` does the same by hand.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone

from api.crud import retention
from api.services.base import LoopService

logger = logging.getLogger("orion.services")


def retention_cutoff(days: float, now: dt.datetime | None = None) -> dt.datetime:
    """The end time before which finished runs are deleted."""
    return (now or timezone.now()) - dt.timedelta(days=days)


class Retention(LoopService):
    """Delete finished flow runs older than ``PREFECT_API_SERVICES_RETENTION_DAYS``."""

    settings_prefix = "PREFECT_API_SERVICES_RETENTION"
    default_loop_seconds = 3600.0

    def run_once(self) -> None:
        """Purge what expired, pausing after each transaction as long as it took (so API
        writers hold the write lock at least half the time while a big purge runs) and
        stopping between transactions when the service is stopped; log the counts."""
        counts = retention.purge(
            retention_cutoff(float(settings.PREFECT_API_SERVICES_RETENTION_DAYS)),
            pause=lambda busy: not self._stop.wait(busy),
        )
        deleted = {table: count for table, count in counts.as_dict().items() if count}
        if deleted:
            logger.info("%s deleted %s", self.name, ", ".join(f"{count} {table}" for table, count in deleted.items()))
