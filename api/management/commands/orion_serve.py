"""``manage.py orion_serve``: serve one port from several daphne worker processes.

The production serving command (``make run`` uses it)::

    python manage.py orion_serve --workers 4 --host 0.0.0.0 --port 4200 [-- <daphne options>]

``--workers`` defaults to 1 on SQLite and to the number of cores otherwise. The start-up
sequence (migrations, block registration) runs once here, before the workers start;
then :class:`api.supervisor.Supervisor` runs the workers until SIGTERM/SIGINT. Every
worker may start the background services; leader election runs each in one of them.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections

from api import supervisor
from api.services import launcher


class Command(BaseCommand):
    """Serve the Orion API and UI from N worker processes on one port."""

    help = "Serve Orion from N daphne worker processes sharing one port (stop with SIGTERM/SIGINT)."

    def add_arguments(self, parser: CommandParser) -> None:
        """``--workers``, ``--host``, ``--port``; anything after ``--`` goes to daphne."""
        parser.add_argument(
            "--workers", type=int, default=None, help="Worker processes (default: 1 on SQLite, else one per core)."
        )
        parser.add_argument("--host", default=settings.PREFECT_SERVER_API_HOST, help="IPv4 address to bind.")
        parser.add_argument("--port", type=int, default=settings.PREFECT_SERVER_API_PORT, help="Port (0: any free one).")
        parser.add_argument("daphne_args", nargs=argparse.REMAINDER, help="-- then options for each daphne worker.")

    def handle(self, *args: Any, workers: int | None, host: str, port: int, daphne_args: list[str], **options: Any) -> None:
        """Run the start-up sequence once, then supervise the workers until stopped."""
        workers = workers if workers is not None else supervisor.default_workers(connection.vendor)
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        if workers > 1 and not settings.REDIS_URL:
            supervisor.logger.warning(
                "Serving with %d workers without REDIS_URL: live updates (/api/live) reach only the "
                "websockets of the worker that made the change. Set REDIS_URL=redis://host:6379/0.",
                workers,
            )
        if daphne_args[:1] == ["--"]:
            daphne_args = daphne_args[1:]
        # The workers need not migrate again; each still checks block registration (one query).
        environ = {**os.environ, "PREFECT_API_DATABASE_MIGRATE_ON_START": "false"}
        try:
            # Bind first: a port in use fails at once, and clients queue during start-up.
            serving = supervisor.Supervisor(host, port, workers, daphne_args=daphne_args, environ=environ)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot listen on {host}:{port}: {exc}") from None
        launcher.run_startup()
        # From here on the supervisor needs no database: give back the pool's connections.
        for alias in connections:
            close_pool = getattr(connections[alias], "close_pool", None)
            if close_pool is not None:
                close_pool()
        serving.run()
