"""``manage.py orion_audit export [--since ISO]``: the audit trail as JSON lines."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

import orjson
from django.core.management.base import CommandError
from django.utils.dateparse import parse_date, parse_datetime

from api.crud import audit
from api.management.subcommands import SubcommandCommand


def parse_since(text: str) -> dt.datetime:
    """An ISO date or datetime; naive values are UTC."""
    value = parse_datetime(text)
    if value is None:
        day = parse_date(text)
        if day is None:
            raise CommandError(f"--since {text!r} is not an ISO date or datetime.")
        value = dt.datetime.combine(day, dt.time())
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


class Command(SubcommandCommand):
    """Print audit rows, oldest first, one JSON object per line."""

    help = "Export the audit trail as JSON lines (oldest first)."

    def add_actions(self, actions: argparse._SubParsersAction) -> None:
        """``export`` and its ``--since``."""
        export = actions.add_parser("export", help="Print audit rows as JSON lines.")
        export.add_argument("--since", default=None, help="Only rows at or after this ISO date/datetime.")

    def handle_export(self, since: str | None = None, **_: Any) -> None:
        """Stream the rows to stdout."""
        start = parse_since(since) if since else None
        for event in audit.read_audit_events(start):
            line = {
                "at": event.at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds"),
                "user": event.username or None,
                "token_name": event.token_name or None,
                "peer": event.peer,
                "method": event.method,
                "path": event.path,
                "object_id": event.object_id or None,
                "status": event.status,
                "outcome": event.outcome,
                "request_id": event.request_id,
            }
            self.stdout.write(orjson.dumps(line).decode())
