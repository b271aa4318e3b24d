"""``LoopService``: the base of every background service."""

from __future__ import annotations

import abc
import logging
import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import DatabaseError, connections

from api.crud import monitoring
from api.metrics import count_database_error
from api.utilities.database import describe, is_database_unavailable

if TYPE_CHECKING:
    from api.services.leadership import Leadership

logger = logging.getLogger("orion.services")


def close_connections() -> None:
    """Close this thread's connections; closing one the database already dropped may fail."""
    try:
        connections.close_all()
    except DatabaseError as exc:
        logger.warning("Closing database connections failed: %s", describe(exc))


class LoopService(abc.ABC):
    """A service that calls ``run_once()`` every ``loop_seconds`` until stopped.

    An exception in one run is logged and the loop goes on; a run that takes longer than
    the interval is followed by the next one at once. Each service runs in its own thread
    with its own database connection, closed after every run. A run that succeeds records
    the service's heartbeat row (``/api/ready`` and the service metrics read it).
    """

    #: Names both settings below as ``<prefix>_ENABLED`` and ``<prefix>_LOOP_SECONDS``,
    #: the scheme every Prefect service setting follows.
    settings_prefix: ClassVar[str | None] = None
    #: Setting that enables the service (``None``: always on).
    enabled_setting: ClassVar[str | None] = None
    #: Setting holding the interval, and the default when it is absent.
    loop_seconds_setting: ClassVar[str | None] = None
    default_loop_seconds: ClassVar[float] = 60.0
    #: Decides before each pass whether this process runs the service (the launcher
    #: sets it, see ``api.services.leadership``); None runs every pass.
    leadership: Leadership | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        prefix = cls.__dict__.get("settings_prefix")
        if prefix:
            cls.enabled_setting = f"{prefix}_ENABLED"
            cls.loop_seconds_setting = f"{prefix}_LOOP_SECONDS"

    def __init__(self, loop_seconds: float | None = None) -> None:
        self.loop_seconds = float(loop_seconds) if loop_seconds is not None else self.configured_loop_seconds()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        """The service's name in logs."""
        return type(self).__name__

    @classmethod
    def configured_loop_seconds(cls) -> float:
        """The interval its setting asks for (the class default when the setting is absent)."""
        value = getattr(settings, cls.loop_seconds_setting, None) if cls.loop_seconds_setting else None
        return float(value if value is not None else cls.default_loop_seconds)

    @classmethod
    def is_enabled(cls, overrides: dict | None = None) -> bool:
        """Whether the service's enable flag is on (overrides first, then settings)."""
        if cls.enabled_setting is None:
            return True
        if overrides and cls.enabled_setting in overrides:
            return bool(overrides[cls.enabled_setting])
        return bool(getattr(settings, cls.enabled_setting, True))

    @abc.abstractmethod
    def run_once(self) -> None:
        """Do one pass of the service's work."""

    def run_forever(self) -> None:
        """Loop in the current thread until ``stop()`` is called."""
        logger.info("Starting %s (every %.1f s)", self.name, self.loop_seconds)
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                # Only the elected process runs a pass and records the heartbeat, so a
                # hung leader shows as stale however many followers stand by.
                if self.leadership is None or self.leadership.hold():
                    self.run_once()
                    self.record_heartbeat(time.monotonic() - started)
            except Exception as exc:  # noqa: BLE001 - a failing run must never end the loop
                count_database_error("service", exc)
                if is_database_unavailable(exc):
                    # Expected during an outage: one line per loop, not a traceback each time.
                    logger.warning("%s failed: database unavailable (%s); it will run again", self.name, describe(exc))
                else:
                    logger.exception("%s failed; it will run again", self.name)
            finally:
                close_connections()
            elapsed = time.monotonic() - started
            if elapsed > self.loop_seconds:
                logger.warning("%s took %.1f s, longer than its %.1f s interval", self.name, elapsed, self.loop_seconds)
            self._stop.wait(max(0.0, self.loop_seconds - elapsed))
        if self.leadership is not None:
            self.leadership.release()
        logger.info("Stopped %s", self.name)

    def record_heartbeat(self, duration_seconds: float) -> None:
        """Record a successful loop; a failure to record is one warning line, not fatal."""
        try:
            monitoring.record_heartbeat(
                self.name, self.loop_seconds, duration_seconds, f"{socket.gethostname()}:{os.getpid()}"
            )
        except DatabaseError as exc:
            count_database_error("service", exc)
            logger.warning("%s could not record its heartbeat: %s", self.name, exc)

    def start(self) -> threading.Thread:
        """Run the loop in a daemon thread and return it."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, name=f"orion-{self.name}", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to stop and wait up to ``timeout`` seconds for it."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
