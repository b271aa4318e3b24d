"""Leader election of the background services: each service runs in one process at a time.

Every serving process (and ``manage.py orion_services``) may start every service; before
each pass a service's loop asks its :class:`Leadership` whether this process runs it.

* PostgreSQL: :class:`AdvisoryLockLeadership` holds ``pg_try_advisory_lock(<service>)``
  on a dedicated connection (one :class:`~api.crud.locks.LockSession` per process). The
  lock lives as long as that session: when the process dies, PostgreSQL ends the session
  and the next process to try takes the service over at its next pass (within one
  interval).
* Other databases (SQLite): :class:`LeaseLeadership` takes a ``service_lease`` row for one
  interval and renews it from a keeper thread every third of it while the process lives.
  A dead holder stops renewing; its lease runs out within one interval and the next pass
  of another process takes it (within two intervals).

A process that stops cleanly releases what it holds, so another one takes over at its
next pass. Takeovers and losses are logged on the ``orion.services`` logger.
"""

from __future__ import annotations

import abc
import datetime as dt
import logging
import os
import socket
import threading
import uuid

from django.db import connections

from api.crud import locks, service_leases
from api.utilities.database import describe, is_database_unavailable

logger = logging.getLogger("orion.services")

# Lease keepers write every third of the lease; shorter leases would only add writes.
MIN_LEASE_SECONDS = 1.0

_session_guard = threading.Lock()
_process_session: locks.LockSession | None = None


def process_lock_session() -> locks.LockSession:
    """This process's advisory-lock session, shared by its services."""
    global _process_session
    with _session_guard:
        if _process_session is None:
            _process_session = locks.LockSession()
        return _process_session


def holder_identity() -> str:
    """A name for one elector: host, pid and a random suffix (unique per elector)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leadership(abc.ABC):
    """Whether this process runs one service; one instance per service loop."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.holder = holder_identity()
        self.leading: bool | None = None

    def hold(self) -> bool:
        """Take or keep the service for this process; whether it may run now.

        A database error counts as not leading (logged); the next pass tries again.
        """
        try:
            leading = self._hold()
        except Exception as exc:  # noqa: BLE001 - an election failure must not end the loop
            if is_database_unavailable(exc):
                # Expected during an outage: one line per pass, not a traceback each time.
                logger.warning("%s: could not check which process runs it: %s", self.service, describe(exc))
            else:
                logger.warning("%s: could not check which process runs it", self.service, exc_info=True)
            leading = False
        if leading != self.leading:
            if leading:
                logger.info("%s: this process (pid %d) runs it now", self.service, os.getpid())
            else:
                logger.info("%s: another process runs it; pid %d stands by", self.service, os.getpid())
        self.leading = leading
        return leading

    def release(self) -> None:
        """Give the service up, so another process takes it at its next pass."""
        try:
            self._release()
        except Exception:  # noqa: BLE001 - an unreleased lock only delays the takeover
            logger.warning("%s: could not release it", self.service, exc_info=True)
        if self.leading:
            logger.info("%s: released by pid %d", self.service, os.getpid())
        self.leading = False

    @abc.abstractmethod
    def _hold(self) -> bool:
        """Take or keep the service; raise on database errors."""

    @abc.abstractmethod
    def _release(self) -> None:
        """Give the service up."""


class AdvisoryLockLeadership(Leadership):
    """Leadership by a PostgreSQL session-level advisory lock named after the service."""

    def __init__(self, service: str, session: locks.LockSession | None = None) -> None:
        super().__init__(service)
        self.session = session or process_lock_session()

    def _hold(self) -> bool:
        return self.session.try_lock(f"service:{self.service}")

    def _release(self) -> None:
        self.session.unlock(f"service:{self.service}")


class LeaseLeadership(Leadership):
    """Leadership by a ``service_lease`` row, renewed by a keeper thread while held."""

    def __init__(self, service: str, lease_seconds: float) -> None:
        super().__init__(service)
        self.lease = dt.timedelta(seconds=max(lease_seconds, MIN_LEASE_SECONDS))
        self._keeper: threading.Thread | None = None
        self._keeper_stop = threading.Event()

    def _hold(self) -> bool:
        held = service_leases.acquire_lease(self.service, self.holder, self.lease)
        if held:
            self._start_keeper()
        else:
            self._stop_keeper()
        return held

    def _release(self) -> None:
        self._stop_keeper()
        service_leases.release_lease(self.service, self.holder)

    def _start_keeper(self) -> None:
        if self._keeper is not None and self._keeper.is_alive():
            return
        self._keeper_stop.clear()
        self._keeper = threading.Thread(target=self._keep, name=f"orion-lease-{self.service}", daemon=True)
        self._keeper.start()

    def _stop_keeper(self) -> None:
        self._keeper_stop.set()
        keeper, self._keeper = self._keeper, None
        if keeper is not None and keeper is not threading.current_thread():
            keeper.join(timeout=60)  # a renewal waits at most SQLite's busy timeout

    def _keep(self) -> None:
        """Renew the lease every third of its length until stopped or taken over."""
        try:
            while not self._keeper_stop.wait(self.lease.total_seconds() / 3):
                try:
                    if not service_leases.acquire_lease(self.service, self.holder, self.lease):
                        return  # another process has it; the next pass of the loop says so
                except Exception:  # noqa: BLE001 - two more tries before the lease runs out
                    logger.warning("%s: could not renew its lease", self.service, exc_info=True)
                    connections.close_all()
        finally:
            connections.close_all()


def for_service(service: str, loop_seconds: float) -> Leadership:
    """The leadership of ``service`` on this database (advisory lock or lease)."""
    if locks.vendor() == "postgresql":
        return AdvisoryLockLeadership(service)
    return LeaseLeadership(service, lease_seconds=loop_seconds)
