"""``manage.py orion_vacuum [--incremental]``: give the disk space of deleted rows back
to the file system (SQLite).

SQLite keeps the pages of deleted rows in the file for reuse; after a big purge the file
does not shrink by itself. Without options this runs ``VACUUM`` (rewrites the whole
file: it needs free disk about the size of the database and holds the write lock while
it runs), or, when the database is in incremental auto-vacuum mode, the much cheaper
``PRAGMA incremental_vacuum``. ``--incremental`` switches the database to that mode
(one last full ``VACUUM``) so later runs are cheap. On PostgreSQL, autovacuum reuses the
space of deleted rows and nothing is done here.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

# ``PRAGMA auto_vacuum`` values.
AUTO_VACUUM_INCREMENTAL = 2


class Command(BaseCommand):
    """Reclaim the disk space of deleted rows on SQLite."""

    help = "Reclaim the disk space of deleted rows (SQLite VACUUM / incremental vacuum)."

    def add_arguments(self, parser: CommandParser) -> None:
        """``--incremental``: switch to incremental auto-vacuum first."""
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="Switch the database to incremental auto-vacuum (one full VACUUM now, cheap ones later).",
        )

    def handle(self, *args: Any, incremental: bool = False, **options: Any) -> None:
        """Vacuum and print the file size before and after."""
        if connection.vendor != "sqlite":
            self.stdout.write(f"Nothing to do on {connection.vendor}: its autovacuum reuses the space of deleted rows.")
            return
        before = self._size()
        with connection.cursor() as cursor:
            if incremental:
                cursor.execute(f"PRAGMA auto_vacuum = {AUTO_VACUUM_INCREMENTAL}")
            mode = cursor.execute("PRAGMA auto_vacuum").fetchone()[0]
            if mode == AUTO_VACUUM_INCREMENTAL and not incremental:
                cursor.execute("PRAGMA incremental_vacuum").fetchall()
                how = "incremental vacuum"
            else:
                # A mode change takes effect only through a full VACUUM.
                cursor.execute("VACUUM")
                how = "VACUUM"
            # In WAL mode the main file shrinks once the log is checkpointed.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        after = self._size()
        self.stdout.write(f"{how}: {before} bytes before, {after} bytes after ({before - after} reclaimed).")

    @staticmethod
    def _size() -> int:
        with connection.cursor() as cursor:
            page_size = cursor.execute("PRAGMA page_size").fetchone()[0]
            page_count = cursor.execute("PRAGMA page_count").fetchone()[0]
        return int(page_size) * int(page_count)
