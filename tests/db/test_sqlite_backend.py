"""The SQLite backend's writer queue: concurrent writers in one process all commit, in
turn, and the queue is released however a transaction ends. Its cursors bind parameters
as Django's do, whichever style and however often a statement is run."""

from __future__ import annotations

import contextlib
import threading
from typing import Any
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler

from orion_project.db.sqlite3.base import _writer_lock
from orion_project.env import sqlite_database


@contextlib.contextmanager
def write_transaction(connection: Any) -> Iterator[None]:
    """What ``transaction.atomic()`` does for an outermost block, on a private connection."""
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    try:
        yield
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.set_autocommit(True)


@pytest.fixture
def handler(tmp_path: Path, django_db_blocker: Any) -> Iterator[ConnectionHandler]:
    """A private connection handler on a fresh SQLite file (one connection per thread)."""
    config = sqlite_database(str(tmp_path / "writers.db"))
    # The "default" entry is required by ConnectionHandler; only "writers" is used.
    connections = ConnectionHandler({"default": config, "writers": config})
    with django_db_blocker.unblock():
        with connections["writers"].cursor() as cursor:
            cursor.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
        connections["writers"].close()
        yield connections
        connections.close_all()


def test_concurrent_read_then_write_transactions_all_commit(handler: ConnectionHandler) -> None:
    errors: list[BaseException] = []

    def writer() -> None:
        connection = handler["writers"]
        try:
            for _ in range(30):
                with write_transaction(connection):
                    with connection.cursor() as cursor:
                        # Read-then-write is what fails with "database is locked" when two
                        # deferred transactions race to upgrade their locks.
                        cursor.execute("SELECT COUNT(*) FROM counter")
                        (count,) = cursor.fetchone()
                        cursor.execute("INSERT INTO counter (n) VALUES (%s)", [count + 1])
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    with handler["writers"].cursor() as cursor:
        cursor.execute("SELECT COUNT(*), MAX(n) FROM counter")
        # Serialised transactions: each one saw every earlier commit.
        assert cursor.fetchone() == (240, 240)


def test_queue_is_released_after_commit_rollback_and_close(handler: ConnectionHandler) -> None:
    connection = handler["writers"]
    lock = _writer_lock(connection.settings_dict["NAME"])
    with write_transaction(connection):
        connection.cursor().execute("INSERT INTO counter (n) VALUES (1)")
        assert lock.locked()
    assert not lock.locked()

    with pytest.raises(RuntimeError):
        with write_transaction(connection):
            connection.cursor().execute("INSERT INTO counter (n) VALUES (2)")
            raise RuntimeError("view failed")
    assert not lock.locked()

    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    connection.cursor().execute("INSERT INTO counter (n) VALUES (3)")
    connection.close()
    assert not lock.locked()


def test_cursors_bind_parameters_as_djangos_do_every_time(handler: ConnectionHandler) -> None:
    connection = handler["writers"]
    with connection.cursor() as cursor:
        for n in (1, 2):  # the second run takes the remembered rewrite
            cursor.execute("INSERT INTO counter (n) VALUES (%s)", [n])
            cursor.execute("SELECT n, '%%s', '100%%' FROM counter WHERE n = %s", [n])
            assert cursor.fetchall() == [(n, "%s", "100%")]
        cursor.execute("SELECT n FROM counter WHERE n = %(n)s", {"n": 2})
        assert cursor.fetchall() == [(2,)]
        cursor.executemany("INSERT INTO counter (n) VALUES (%s)", [[3], [4]])
        cursor.execute("SELECT COUNT(*) FROM counter")
        assert cursor.fetchone() == (4,)


def test_long_statements_are_bound_without_being_kept(handler: ConnectionHandler) -> None:
    from orion_project.db.sqlite3 import base as sqlite_base

    connection = handler["writers"]
    values = ", ".join(["(%s)"] * 2000)
    before = sqlite_base._qmark_style.cache_info().currsize
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO counter (n) VALUES {values}", list(range(2000)))
        cursor.execute("SELECT COUNT(*) FROM counter")
        assert cursor.fetchone() == (2000,)
    assert sqlite_base._qmark_style.cache_info().currsize == before
