"""Row ids: UUIDs that sort in the order they were made (RFC 9562 version 7).

A random (version 4) id lands on a random leaf of every index that holds it: the primary
key, and every foreign-key index of the rows that point at it. On a database with millions
of rows those indexes outgrow the cache, and each insert of a log line, a state or a task
run then reads and dirties pages all over them. A version-7 id starts with the creation
time in milliseconds, so new keys go to the right-hand edge of each index, which stays in
the cache however large the table grows. The client treats ids as opaque UUIDs.
"""

from __future__ import annotations

import uuid

import uuid6


def new_id() -> uuid.UUID:
    """A new time-ordered UUID (a plain ``uuid.UUID``, for every adapter and serialiser)."""
    return uuid.UUID(int=uuid6.uuid7().int)
