"""``orion_project.db.postgresql``: the pool checks a connection at most once a second,
and the pool Django builds uses that check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db.utils import ConnectionHandler

from orion_project.db.postgresql import base
from orion_project.env import database_from_url


class FakeConnection:
    """What psycopg_pool's check is called with."""


def test_a_connection_checked_moments_ago_is_not_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from psycopg_pool import ConnectionPool

    checks: list[Any] = []
    clock = [100.0]
    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(checks.append))
    monkeypatch.setattr(base.time, "monotonic", lambda: clock[0])
    first, second = FakeConnection(), FakeConnection()
    for conn in (first, first, second):
        base.check_unless_recent(conn)
    clock[0] += base.RECHECK_SECONDS / 2
    base.check_unless_recent(first)
    assert checks == [first, second]
    clock[0] += base.RECHECK_SECONDS
    base.check_unless_recent(first)
    assert checks == [first, second, first]


def test_a_failed_check_is_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    from psycopg_pool import ConnectionPool

    def broken(conn: Any) -> None:
        raise OSError("server closed the connection")

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(broken))
    conn = FakeConnection()
    for _ in range(2):
        with pytest.raises(OSError):
            base.check_unless_recent(conn)


def test_the_servers_pool_uses_the_throttled_check(tmp_path: Path) -> None:
    # A private alias with the server's settings: building its pool opens no connection,
    # so this runs whichever database the suite is on.
    settings = database_from_url("postgresql://u@127.0.0.1:9/name", tmp_path, pool_timeout=1, reconnect_timeout=1)
    handler = ConnectionHandler({"default": {"ENGINE": "django.db.backends.dummy"}, "probe": settings})
    pool = handler["probe"].pool
    try:
        assert pool._check is base.check_unless_recent
    finally:
        pool.close()
