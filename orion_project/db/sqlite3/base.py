"""SQLite backend whose write transactions queue on a process-wide lock, and whose cursors
remember each statement's rewrite to SQLite's placeholders.

With ``BEGIN IMMEDIATE`` concurrent writers are serialised by SQLite itself, but a writer
that finds the database locked sleeps in SQLite's busy handler (back-off of up to 100 ms)
and may lose the race again: tail latency under load grows to seconds. Here the threads of
one process queue on a lock before ``BEGIN``, so the next writer starts the moment the
previous one commits. Other processes (a separate services process) still meet SQLite's
busy timeout as before. The wait on the lock is bounded by the busy timeout; past it the
transaction proceeds and SQLite's own locking decides.

Django's SQLite cursor rewrites the ``%s`` of every statement to ``?`` with a regular
expression, 4-13 µs a statement (the longer, the costlier), a few per cent of a request's
CPU on the engine workload; the same statements come back again and again, so
``CursorWrapper`` keeps the rewrites.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any, Optional

from django.db.backends.sqlite3 import base

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _writer_lock(name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


# The engine's statements are a few dozen; statements with a varying number of values
# (``IN`` lists, bulk inserts) take the rest, in least-recently-used order.
_REWRITES_KEPT = 512
# Longer statements (bulk inserts, the history's unions of a few hundred parts) vary with
# their data and would make the kept rewrites megabytes; they take Django's path.
_LONGEST_KEPT = 4096


@functools.lru_cache(maxsize=_REWRITES_KEPT)
def _qmark_style(query: str) -> str:
    """Django's "format" to "qmark" rewrite of ``query`` (``%s`` to ``?``, ``%%`` to ``%``)."""
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class CursorWrapper(base.SQLiteCursorWrapper):
    """Django's SQLite cursor with its placeholder rewrite of positional statements cached."""

    def convert_query(self, query: str, *, param_names: Optional[Sequence[str]] = None) -> str:
        """The statement in SQLite's style; named parameters take Django's own path."""
        if param_names is None and len(query) <= _LONGEST_KEPT:
            return _qmark_style(query)
        return super().convert_query(query, param_names=param_names)


class DatabaseWrapper(base.DatabaseWrapper):
    """Django's SQLite wrapper plus the writer queue and the caching cursor."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held_writer_lock: threading.Lock | None = None

    def create_cursor(self, name: Optional[str] = None) -> CursorWrapper:
        """A cursor of ``CursorWrapper``, as Django's creates its own."""
        return self.connection.cursor(factory=CursorWrapper)

    def _start_transaction_under_autocommit(self) -> None:
        if not self.is_in_memory_db():
            lock = _writer_lock(str(self.settings_dict["NAME"]))
            timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 60))
            if lock.acquire(timeout=timeout):
                self._held_writer_lock = lock
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            raise

    def _release_writer_lock(self) -> None:
        lock, self._held_writer_lock = self._held_writer_lock, None
        if lock is not None:
            lock.release()

    def _then_release(self, end: Callable[[], None]) -> None:
        """Run ``end`` (commit, rollback or close), then release the writer lock, whatever happened."""
        try:
            end()
        finally:
            self._release_writer_lock()

    def _commit(self) -> None:
        self._then_release(super()._commit)

    def _rollback(self) -> None:
        self._then_release(super()._rollback)

    def _close(self) -> None:
        self._then_release(super()._close)
