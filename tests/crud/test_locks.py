"""Cross-process locks (``api.crud.locks``): stable keys, and a transaction lock that
keeps a second transaction of the same kind waiting until the first one ends."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from api.crud import locks


def test_keys_are_stable_signed_64_bit_and_distinct_per_name() -> None:
    keys = {name: locks.advisory_key(name) for name in ("startup", "block_registration", "service:Scheduler")}
    assert keys["startup"] == locks.advisory_key("startup")
    assert len(set(keys.values())) == 3
    assert all(-(2**63) <= key < 2**63 for key in keys.values())


@pytest.mark.django_db(transaction=True)
def test_a_transaction_lock_is_held_until_the_transaction_ends() -> None:
    if connection.vendor != "postgresql":
        # SQLite transactions begin IMMEDIATE: writers are serialised before the lock
        # would matter, so it costs nothing there.
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            locks.transaction_lock("block_registration")
        assert [q["sql"] for q in queries.captured_queries if "lock" in q["sql"].lower()] == []
        return
    other = locks.open_postgres_connection()
    try:
        key = locks.advisory_key("block_registration")
        with transaction.atomic():
            locks.transaction_lock("block_registration")
            assert other.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone() == (False,)
        assert other.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone() == (True,)
    finally:
        other.close()
