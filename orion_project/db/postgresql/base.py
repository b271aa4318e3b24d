"""PostgreSQL backend whose pool checks a connection at most once a second.

With ``CONN_HEALTH_CHECKS`` Django gives psycopg_pool a check that runs each time a
connection is handed out (a round trip to the server), so that the first requests after a
database restart do not get the connections the restart broke. Under load that round trip
came with every request: about a tenth of a simple read's CPU, and as much again on the
server. Here a connection checked less than ``RECHECK_SECONDS`` ago is handed out
unchecked. A restart takes longer than that, so every connection from before it is still
checked; a connection that breaks while in use is discarded by the pool when it comes back.
"""

from __future__ import annotations

import time
from typing import Any

from django.db.backends.postgresql import base

RECHECK_SECONDS = 1.0


def check_unless_recent(connection: Any) -> None:
    """psycopg_pool's ``check_connection``, at most once per ``RECHECK_SECONDS`` per connection."""
    from psycopg_pool import ConnectionPool

    now = time.monotonic()
    if now - getattr(connection, "_orion_checked_at", float("-inf")) < RECHECK_SECONDS:
        return
    ConnectionPool.check_connection(connection)
    connection._orion_checked_at = now


class DatabaseWrapper(base.DatabaseWrapper):
    """Django's PostgreSQL wrapper with the throttled pool check."""

    @property
    def pool(self) -> Any:
        pool = super().pool
        if pool is not None and self.settings_dict["CONN_HEALTH_CHECKS"]:
            # psycopg_pool (pinned) takes its check only as a constructor argument, which
            # Django fills itself: replace it on the pool Django built.
            pool._check = check_unless_recent
        return pool
