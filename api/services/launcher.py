"""Start-up sequence and service launcher for serving processes.

``arm()`` (from ``AppConfig.ready``) records whether this process serves HTTP (daphne,
uvicorn, or the serving child of ``runserver``); ``start_if_serving()`` (from
``create_app``) then runs, once per process: the refusal to serve a database migrated by
a newer release, migrations when ``PREFECT_API_DATABASE_MIGRATE_ON_START``, the start-up
hooks, and every enabled service.
``manage.py orion_services`` runs the same sequence standalone (``run_startup()``,
``start_services()``, then ``stop_services()`` on SIGINT/SIGTERM).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.utils.module_loading import import_string

from api.checks import newer_database_message
from api.crud import locks, schema_version
from api.services import leadership
from api.services.base import LoopService

logger = logging.getLogger("orion.services")

# Every background service, by dotted path; later issues append theirs.
SERVICES: tuple[str, ...] = (
    "api.services.scheduler.Scheduler",
    "api.services.scheduler.RecentDeploymentsScheduler",
    "api.services.late_runs.MarkLateRuns",
    "api.services.pause_expirations.FailExpiredPauses",
    "api.services.cancellation_cleanup.CancellationCleanup",
    "api.services.flow_run_notifications.FlowRunNotifications",
    # Run health and retention (issue 11).
    "api.services.crashed_runs.CrashedRuns",
    "api.services.retention.Retention",
)

# Called in order after migrations; each failure is logged as a warning, never fatal.
STARTUP_HOOKS: tuple[str, ...] = (
    "api.blocks.registration.register_on_startup",
)

_SERVER_PROGRAMS = {"daphne", "uvicorn", "gunicorn", "hypercorn"}

_lock = threading.Lock()
_armed = False
_started = False
_running: list[LoopService] = []
_services_started_at: float | None = None


def is_serving_process(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process is one that serves HTTP requests.

    ``runserver``'s autoreloader parent only watches files; its serving child has
    ``RUN_MAIN=true`` (or there is no reloader with ``--noreload``).
    """
    argv = sys.argv if argv is None else argv
    environ = os.environ if environ is None else environ
    if not argv:
        return False
    # ``python -m daphne`` shows up as .../daphne/__main__.py.
    names = {Path(arg).parent.name if Path(arg).name == "__main__.py" else Path(arg).name for arg in argv[:3]}
    if names & _SERVER_PROGRAMS:
        return True
    if "runserver" in argv[1:3]:
        return environ.get("RUN_MAIN") == "true" or "--noreload" in argv
    return False


def arm() -> None:
    """Record whether services may start in this process (called from ``ready()``)."""
    global _armed
    _armed = is_serving_process()


def start_if_serving(overrides: Mapping[str, Any] | None = None) -> bool:
    """Run the start-up sequence and start services, once, if this process serves HTTP."""
    global _started
    if not _armed:
        return False
    with _lock:
        if _started:
            return False
        _started = True
    run_startup(overrides)
    start_services(overrides)
    atexit.register(stop_services)
    return True


def refuse_newer_database() -> None:
    """Exit with one line when the database was migrated by a newer release than this code:
    serving it could corrupt data the newer release relies on."""
    unknown = schema_version.unknown_applied_migrations()
    if unknown:
        logger.critical("%s Refusing to serve.", newer_database_message(unknown))
        raise SystemExit(1)


def run_startup(overrides: Mapping[str, Any] | None = None) -> None:
    """Refuse a newer database, apply migrations (if enabled) and run the start-up hooks."""
    overrides = overrides or {}
    migrate = overrides.get(
        "PREFECT_API_DATABASE_MIGRATE_ON_START", settings.PREFECT_API_DATABASE_MIGRATE_ON_START
    )
    try:
        refuse_newer_database()
        # Processes starting together take turns, so none races another's migrations.
        with locks.startup_lock():
            if migrate:
                call_command("migrate", interactive=False, verbosity=0)
            for dotted in STARTUP_HOOKS:
                try:
                    import_string(dotted)()
                except Exception:  # noqa: BLE001 - a hook failure must not stop the server
                    logger.warning("Start-up hook %s failed", dotted, exc_info=True)
    finally:
        # Start-up ran outside any request; don't leak its connection into one.
        connections.close_all()


def enabled_services(overrides: Mapping[str, Any] | None = None) -> list[type[LoopService]]:
    """The service classes whose enable flags are on (one that cannot be imported is
    logged and left out, so it does not keep the others from starting)."""
    classes = []
    for dotted in SERVICES:
        try:
            classes.append(import_string(dotted))
        except Exception:  # noqa: BLE001 - see docstring
            logger.exception("Could not load service %s", dotted)
    return [cls for cls in classes if cls.is_enabled(dict(overrides or {}))]


def services_started_at() -> float | None:
    """When this process last started its services (Unix time), if it did."""
    return _services_started_at


def start_services(overrides: Mapping[str, Any] | None = None) -> list[LoopService]:
    """Start every enabled service in its own thread, each under leader election (so it
    runs in one process at a time however many processes start it)."""
    global _services_started_at
    _services_started_at = time.time()
    started = []
    for cls in enabled_services(overrides):
        try:
            service = cls()
            service.leadership = leadership.for_service(service.name, service.loop_seconds)
            service.start()
        except Exception:  # noqa: BLE001 - one service that cannot start must not stop the others
            logger.exception("Could not start %s", cls.__name__)
            continue
        started.append(service)
    _running.extend(started)
    return started


def stop_services(timeout: float = 10.0) -> None:
    """Stop the services this process started."""
    while _running:
        _running.pop().stop(timeout)
