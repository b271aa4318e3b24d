"""Readiness: can this server do its job right now?

``/api/health`` only says the process answers. Readiness also asks the database (one
trivial query) and reads the service heartbeats: every service enabled in this process's
settings must have finished a loop within ``STALE_FACTOR`` times its interval. Services
may run in another process (``manage.py orion_services``); their heartbeat rows are in the
shared database, so the answer is the same from every serving process.

A service that has not finished a loop yet is ``starting`` (and does not make the server
unready) until ``STALE_FACTOR`` times its interval has passed since this process started
its services (or, in a process that runs none, since it started), so a fresh process is
ready at once and never unready forever. The grace starts after the start-up migrations,
so a slow first migration does not eat it.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.db import DatabaseError

from api.crud import monitoring
from api.metrics import count_database_error
from api.services import launcher

STALE_FACTOR = 3.0
DATABASE_OK = "ok"
DATABASE_DOWN = "unavailable"

# Imported while the URLconf loads, i.e. when the process starts serving.
_process_started = time.time()


def grace_started() -> float:
    """When every service's start-up grace began (Unix time)."""
    return launcher.services_started_at() or _process_started


def readiness_report(now: float | None = None) -> tuple[bool, dict[str, Any]]:
    """``(ready, body)``: body is ``{"database": ..., "services": {name: {...}}}``.

    Each service says ``status`` (``ok``, ``starting``, ``stale``: its last loop is too
    old, ``missing``: it never finished one, ``unknown``: the database is unreachable),
    ``last_success`` (ISO time or null) and ``loop_seconds``.
    """
    now = time.time() if now is None else now
    intervals = {cls.__name__: cls.configured_loop_seconds() for cls in launcher.enabled_services()}
    try:
        monitoring.ping_database()
        heartbeats = monitoring.read_heartbeats()
    except DatabaseError as exc:
        count_database_error("readiness", exc)
        services = {
            name: {"status": "unknown", "last_success": None, "loop_seconds": seconds}
            for name, seconds in sorted(intervals.items())
        }
        return False, {"database": DATABASE_DOWN, "services": services}
    ready = True
    services = {}
    since = grace_started()
    for name, configured in sorted(intervals.items()):
        row = heartbeats.get(name)
        # The interval of the process that really runs the service, once it has reported.
        loop_seconds = row.loop_seconds if row is not None else configured
        last = row.last_success.timestamp() if row is not None else None
        if last is not None and now - last <= STALE_FACTOR * loop_seconds:
            status = "ok"
        elif now - since <= STALE_FACTOR * configured:
            status = "starting"
        else:
            status = "stale" if row is not None else "missing"
            ready = False
        services[name] = {
            "status": status,
            "last_success": row.last_success.astimezone(dt.timezone.utc).isoformat(timespec="microseconds") if row else None,
            "loop_seconds": loop_seconds,
        }
    return ready, {"database": DATABASE_OK, "services": services}
