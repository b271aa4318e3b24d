"""``manage.py orion_purge --older-than-days N [--dry-run]``: retention, by hand.

Deletes what the retention service deletes (finished flow runs that ended more than N
days ago, with everything that belongs to them), pacing its transactions as the service
does so a running server's writers keep their turn, and prints how many rows of each
kind went; ``--dry-run`` prints the counts and deletes nothing.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from api.crud import retention
from api.services.retention import retention_cutoff


def _pause(busy: float) -> bool:
    # As the service does: the server's writers get the lock at least half the time.
    time.sleep(busy)
    return True


class Command(BaseCommand):
    """Delete finished flow runs older than N days and report the counts."""

    help = "Delete finished flow runs that ended more than N days ago, with their task runs, logs and artifacts."

    def add_arguments(self, parser: CommandParser) -> None:
        """``--older-than-days N`` (required, a float) and ``--dry-run``."""
        parser.add_argument("--older-than-days", type=float, required=True, metavar="N")
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")

    def handle(self, *args: Any, older_than_days: float, dry_run: bool = False, **options: Any) -> None:
        """Purge (or count) and print one line per kind of row."""
        if older_than_days < 0:
            raise CommandError("--older-than-days must not be negative.")
        cutoff = retention_cutoff(older_than_days)
        counts = retention.count_expired(cutoff) if dry_run else retention.purge(cutoff, pause=_pause)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} (finished before {cutoff.isoformat()}):")
        for table, count in counts.as_dict().items():
            self.stdout.write(f"  {table}: {count}")
