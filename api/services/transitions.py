"""Forced state transitions in locked pages: the common shape of the maintenance services
(``SweepService``).

A service hands over a function that locks one page of rows (from
``api.crud.run_maintenance``) and the state each row must be forced into. Every page is
one transaction; every row gets its own savepoint, so a run that cannot be moved is
logged and skipped without undoing the others or stopping the pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, ClassVar
from uuid import UUID

from django.db import transaction

from api import orchestration
from api.schemas.states import StateCreate
from api.services.base import LoopService
from api.utilities.database import is_database_unavailable

logger = logging.getLogger("orion.services")


def _force_state(set_state: Callable[..., Any], kind: str, run_id: UUID, state: StateCreate) -> bool:
    """Force a run into ``state`` through ``set_state`` in a savepoint; False if that failed."""
    try:
        with transaction.atomic():
            set_state(run_id, state, force=True)
    except Exception as exc:  # noqa: BLE001 - one bad run must not stop the pass
        if is_database_unavailable(exc):
            raise  # an outage ends the whole pass, logged once by the loop
        logger.exception("Could not set %s %s to %s", kind, run_id, state.name)
        return False
    return True


def force_flow_run_state(flow_run_id: UUID, state: StateCreate) -> bool:
    """Force a flow run into ``state`` (through orchestration); False if that failed."""
    return _force_state(orchestration.set_flow_run_state, "flow run", flow_run_id, state)


def force_task_run_state(task_run_id: UUID, state: StateCreate) -> bool:
    """Force a task run into ``state`` (through orchestration); False if that failed."""
    return _force_state(orchestration.set_task_run_state, "task run", task_run_id, state)


def transition_in_pages(
    lock_page: Callable[[int, UUID | None], Sequence[Any]],
    transition: Callable[[Any], bool],
    batch_size: int,
) -> int:
    """Lock pages of ``batch_size`` rows and transition each; return how many moved.

    ``lock_page(limit, after_id)`` returns locked rows ordered by id. Paging by id (not
    re-reading the first page) ends the pass even when some rows cannot be moved.
    """
    moved = 0
    after_id: UUID | None = None
    while True:
        with transaction.atomic():
            rows = lock_page(batch_size, after_id)
            for row in rows:
                moved += bool(transition(row))
        if len(rows) < batch_size:
            return moved
        after_id = rows[-1].id


class SweepService(LoopService):
    """A maintenance service: each pass forces pages of locked runs into new states."""

    #: Rows locked (and transitioned) per transaction.
    batch_size: ClassVar[int] = 200

    def sweep(self, lock_page: Callable[[int, UUID | None], Sequence[Any]], transition: Callable[[Any], bool]) -> int:
        """``transition_in_pages`` with this service's batch size; return how many moved."""
        return transition_in_pages(lock_page, transition, self.batch_size)
