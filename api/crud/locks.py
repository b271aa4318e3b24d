"""Locks shared by every process on one database.

* :class:`LockSession` — a dedicated PostgreSQL connection holding session-level advisory
  locks (``pg_try_advisory_lock``). PostgreSQL releases them when the session ends, so a
  process that dies (even by ``kill -9``) frees its locks at once.
* :func:`transaction_lock` — serialise one kind of transaction across processes
  (``pg_advisory_xact_lock``; SQLite needs nothing, ``BEGIN IMMEDIATE`` already
  serialises writers).
* :func:`startup_lock` — one process at a time through the start-up sequence
  (migrations, block registration): a blocking advisory lock on PostgreSQL, an ``flock``
  on a file next to the database on SQLite.

Lock names are strings; :func:`advisory_key` maps them to PostgreSQL's 64-bit keys.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import threading
from collections.abc import Iterator
from typing import Any

from django.db import connections

# Detect a peer that vanished without closing its socket (a host that died): PostgreSQL
# then ends the session and frees its locks within about idle + interval * count seconds.
_KEEPALIVE_SECONDS = {"idle": 10, "interval": 5, "count": 3}


def advisory_key(name: str) -> int:
    """The signed 64-bit advisory-lock key of ``name`` (stable across processes)."""
    digest = hashlib.blake2b(f"orion:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def vendor(alias: str = "default") -> str:
    """The database vendor of ``alias`` (``postgresql``, ``sqlite``...)."""
    return connections[alias].vendor


def open_postgres_connection(alias: str = "default") -> Any:
    """A new autocommit psycopg connection to ``alias``, outside Django's pool and its
    per-thread connections (which the services close after every run)."""
    import psycopg

    params = connections[alias].get_connection_params()
    conn = psycopg.connect(
        **params,
        autocommit=True,
        keepalives=1,
        keepalives_idle=_KEEPALIVE_SECONDS["idle"],
        keepalives_interval=_KEEPALIVE_SECONDS["interval"],
        keepalives_count=_KEEPALIVE_SECONDS["count"],
    )
    for name, seconds in _KEEPALIVE_SECONDS.items():
        conn.execute(f"SET tcp_keepalives_{name} = {int(seconds)}")
    return conn


class LockSession:
    """A dedicated PostgreSQL session that holds advisory locks until released or closed.

    Thread-safe: the services of one process share a session. When the connection
    breaks, every lock it held is gone; the session forgets them, reconnects on the next
    call, and the caller learns it from :meth:`try_lock`'s answer or exception.
    """

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias
        self._conn: Any = None
        self._held: set[int] = set()
        self._mutex = threading.Lock()

    def try_lock(self, name: str) -> bool:
        """Take the lock ``name`` if it is free, or confirm it is still ours.

        Raises the driver's error when the connection fails; the locks are then lost.
        """
        key = advisory_key(name)
        with self._mutex:
            try:
                if self._conn is None or self._conn.closed:
                    self._held.clear()
                    self._conn = open_postgres_connection(self.alias)
                if key in self._held:
                    # A session lock lives as long as the session: a live session still holds it.
                    self._conn.execute("SELECT 1")
                    return True
                (taken,) = self._conn.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()
            except Exception:
                self._discard()
                raise
            if taken:
                self._held.add(key)
            return bool(taken)

    def unlock(self, name: str) -> None:
        """Release the lock ``name`` if this session holds it."""
        key = advisory_key(name)
        with self._mutex:
            if key not in self._held:
                return
            self._held.discard(key)
            try:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", [key])
            except Exception:
                self._discard()
                raise

    def close(self) -> None:
        """Close the session, releasing every lock it holds."""
        with self._mutex:
            self._discard()

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        self._held.clear()
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


def transaction_lock(name: str, alias: str = "default") -> None:
    """Inside ``transaction.atomic()``: wait until no other transaction holds ``name``,
    then hold it until this transaction ends."""
    if vendor(alias) == "postgresql":
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [advisory_key(name)])


@contextlib.contextmanager
def startup_lock(alias: str = "default") -> Iterator[None]:
    """Hold the start-up lock: processes starting together migrate and register one
    after the other instead of racing on the same tables."""
    wrapper = connections[alias]
    if wrapper.vendor == "postgresql":
        conn = open_postgres_connection(alias)
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", [advisory_key("startup")])
            yield
        finally:
            conn.close()  # ends the session, and with it the lock
    elif wrapper.vendor == "sqlite" and not wrapper.is_in_memory_db():
        with open(f"{wrapper.settings_dict['NAME']}.startup-lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
            yield
    else:
        yield
