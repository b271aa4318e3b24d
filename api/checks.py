"""System checks of the operations features (registered by ``ApiConfig.ready``).

* ``orion_ops.E001`` (database check, so ``migrate`` and ``migrate --check`` run it): the
  database was migrated by a newer release than this code.
* ``orion_ops.E002``: ``PROMETHEUS_MULTIPROC_DIR`` is set but is not a writable directory.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError

from api.crud import schema_version
from api.metrics import multiprocess_dir

NEWER_DATABASE_HINT = (
    "Run the release that migrated this database (or newer), or restore a backup taken "
    "before the upgrade; never serve a database with an older release."
)


def newer_database_message(unknown: Sequence[str]) -> str:
    """The one line that says the database is newer than the code."""
    return (
        "The database has migrations this version of Orion does not know "
        f"({', '.join(unknown)}): it was upgraded by a newer release."
    )


def check_database_not_newer(app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Error when a checked database has migrations the code lacks."""
    errors: list[CheckMessage] = []
    for alias in databases or ():
        try:
            unknown = schema_version.unknown_applied_migrations(alias)
        except DatabaseError:
            continue  # unreachable: the command itself reports that better
        if unknown:
            errors.append(Error(newer_database_message(unknown), hint=NEWER_DATABASE_HINT, id="orion_ops.E001"))
    return errors


def check_multiprocess_dir(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Error when the Prometheus multiprocess directory is unusable."""
    path = multiprocess_dir()
    if path is None or (os.path.isdir(path) and os.access(path, os.W_OK)):
        return []
    return [
        Error(
            f"PROMETHEUS_MULTIPROC_DIR={path!r} is not a writable directory.",
            hint="Create it (empty) before the server processes start, or unset it.",
            id="orion_ops.E002",
        )
    ]


def register_checks() -> None:
    """Register the checks of this module."""
    register(check_database_not_newer, Tags.database)
    register(check_multiprocess_dir)
