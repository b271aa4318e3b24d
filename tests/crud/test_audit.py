"""``api.crud.audit``: rows read back oldest first, from a given moment on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from api.crud import audit

pytestmark = pytest.mark.django_db


def _event(at: dt.datetime, path: str):
    return audit.create_audit_event(at=at, method="POST", path=path, status=201, outcome="committed")


def test_events_are_read_oldest_first_and_from_since_inclusive():
    now = timezone.now()
    _event(now, "/b")
    _event(now - dt.timedelta(hours=1), "/a")
    _event(now + dt.timedelta(hours=1), "/c")

    assert [e.path for e in audit.read_audit_events()] == ["/a", "/b", "/c"]
    assert [e.path for e in audit.read_audit_events(since=now)] == ["/b", "/c"]
    assert list(audit.read_audit_events(since=now + dt.timedelta(days=1))) == []


def test_events_at_the_same_moment_keep_a_stable_order():
    now = timezone.now()
    ids = {_event(now, f"/{n}").id for n in range(5)}
    first = [e.id for e in audit.read_audit_events()]
    assert set(first) == ids and first == [e.id for e in audit.read_audit_events()] == sorted(first)
