"""Is the database reachable right now, and is this error an outage?

One place knows what a database outage looks like, so the API's error mapping (503 with
``Retry-After`` instead of 500), the services' loop (one log line instead of a traceback)
and readiness checks all agree:

* :func:`is_database_unavailable` classifies an exception: a lost or refused connection,
  a pool that had no connection to give within its timeout, a server shutting down or
  starting up, a SQLite file that is locked or cannot be opened. Errors in the query
  itself (bad SQL, constraint violations, statement timeouts) are not outages.
* :func:`database_available` runs ``SELECT 1`` and answers ``True`` or ``False``, bounded
  by the pool timeout (PostgreSQL) or the busy timeout (SQLite).
* :func:`describe` gives the first line of an error, for one-line log messages.
"""

from __future__ import annotations

import sqlite3
import contextlib
from collections.abc import Iterator

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

# SQLSTATE classes and codes that mean "the server is not there" rather than "the query
# is wrong": 08 connection exceptions, admin/crash shutdown, cannot connect now.
_UNAVAILABLE_SQLSTATE_CLASSES = ("08",)
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database file", "disk i/o error")

try:  # psycopg is only installed for PostgreSQL deployments
    import psycopg
    import psycopg_pool
except ImportError:  # pragma: no cover - SQLite-only installations
    psycopg = None  # type: ignore[assignment]
    psycopg_pool = None  # type: ignore[assignment]


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from (Django wraps driver errors)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _is_unavailable_driver_error(exc: BaseException) -> bool:
    if psycopg is not None:
        if isinstance(exc, (psycopg_pool.PoolTimeout, psycopg_pool.TooManyRequests, psycopg.InterfaceError)):
            return True
        if isinstance(exc, psycopg.OperationalError):
            sqlstate = getattr(exc, "sqlstate", None)
            # No SQLSTATE: the client library itself failed (refused, reset, closed).
            return (
                sqlstate is None
                or sqlstate.startswith(_UNAVAILABLE_SQLSTATE_CLASSES)
                or sqlstate in _UNAVAILABLE_SQLSTATES
            )
    if isinstance(exc, sqlite3.OperationalError):
        message = str(exc).lower()
        return any(text in message for text in _SQLITE_UNAVAILABLE)
    return False


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be reached (an outage, not a bad query)."""
    return any(_is_unavailable_driver_error(item) for item in _chain(exc))


def describe(exc: BaseException) -> str:
    """The error's type and first message line, for a one-line log entry."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else 'no message'}"


def database_available(connection: BaseDatabaseWrapper | None = None) -> bool:
    """Run ``SELECT 1`` (on the default database's connection of this thread, unless told
    otherwise); ``False`` if that fails for any reason.

    A failed connection is closed (outside a transaction), so the next call in this thread
    asks the pool for a fresh one instead of reusing the broken one.
    """
    connection = connection if connection is not None else connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        if not connection.in_atomic_block:
            with contextlib.suppress(DatabaseError):
                connection.close()
        return False
    return True
