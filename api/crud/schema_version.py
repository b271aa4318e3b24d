"""Which migrations the database has that this code does not know (a newer release ran)."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader


def unknown_applied_migrations(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """``app.migration`` names recorded as applied in the database but absent from the code.

    Only apps this project has migrations for count (another project's rows in a shared
    ``django_migrations`` table are none of our business), and names a squashed migration
    of ours replaces are known. A database without the migrations table has none.
    """
    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces)
    applied = loader.applied_migrations or {}
    return sorted(
        f"{app}.{name}" for app, name in applied if app in loader.migrated_apps and (app, name) not in known
    )
