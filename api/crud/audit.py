"""The audit trail: writing rows and reading them back for export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from api.crud.prepared import PreparedInsert
from api.models import AuditEvent

# Every write request writes one: the insert is prepared (see api.crud.prepared).
_INSERT_AUDIT_EVENT = PreparedInsert(AuditEvent)


def create_audit_event(**fields: Any) -> AuditEvent:
    """Write one audit row (in the caller's transaction, if one is open)."""
    return _INSERT_AUDIT_EVENT.insert(AuditEvent(**fields))


def read_audit_events(since: dt.datetime | None = None) -> Iterator[AuditEvent]:
    """Audit rows oldest first, from ``since`` on; streamed, so a long trail is not held in memory."""
    rows = AuditEvent.objects.order_by("at", "id")
    if since is not None:
        rows = rows.filter(at__gte=since)
    return rows.iterator(chunk_size=2000)
