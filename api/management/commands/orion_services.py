"""``manage.py orion_services``: run the background services without serving HTTP.

A deployment can run several API processes with the services turned off
(``PREFECT_API_SERVICES_*_ENABLED=false``) and one process of this command. It runs the
start-up sequence the server runs (migrations, start-up hooks), starts every enabled
service, and stops them cleanly on SIGINT or SIGTERM. ``--list`` only prints the services
and whether each is enabled.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import import_string

from api.services import launcher


class Command(BaseCommand):
    """Run every enabled background service until interrupted."""

    help = "Run the enabled Orion background services until SIGINT/SIGTERM (--list: show them)."

    def add_arguments(self, parser: CommandParser) -> None:
        """``--list`` prints the services instead of running them."""
        parser.add_argument(
            "--list", action="store_true", dest="list_services", help="List the services and whether each is enabled."
        )

    def handle(self, *args: Any, list_services: bool = False, **options: Any) -> None:
        """Run the services in this process (or list them)."""
        if list_services:
            self.list_services()
            return
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        # Handlers first, so a signal during start-up still ends in a clean stop.
        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            launcher.run_startup()
            started = launcher.start_services()
            names = ", ".join(service.name for service in started) or "none"
            self.stdout.write(f"Orion services running: {names}. Stop with Ctrl+C or SIGTERM.")
            self.stdout.flush()
            stop.wait()
            self.stdout.write("Stopping Orion services...")
            launcher.stop_services()
            self.stdout.write("Orion services stopped.")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def list_services(self) -> None:
        """One line per service: its name and whether its enable flag is on."""
        for dotted in launcher.SERVICES:
            try:
                cls = import_string(dotted)
            except Exception as exc:  # noqa: BLE001 - list the rest, say why this one is missing
                self.stdout.write(f"{dotted}: cannot be loaded ({exc})")
                continue
            status = "enabled" if cls.is_enabled() else "disabled"
            setting = f" ({cls.enabled_setting})" if cls.enabled_setting else ""
            self.stdout.write(f"{cls.__name__}: {status}{setting}")
