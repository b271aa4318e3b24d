"""Service leases (``api.crud.service_leases``): one holder at a time, renewed by it,
free once expired or released. Clocks are explicit, so no test waits for time to pass."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from api.crud.service_leases import acquire_lease, lease_holder, release_lease
from api.models import ServiceLease

INTERVAL = dt.timedelta(seconds=5)
pytestmark = pytest.mark.django_db


def test_the_first_holder_gets_the_lease_and_others_are_refused_while_it_runs() -> None:
    now = timezone.now()
    assert acquire_lease("Scheduler", "a", INTERVAL, now) is True
    assert acquire_lease("Scheduler", "b", INTERVAL, now + INTERVAL / 2) is False
    assert lease_holder("Scheduler", now + INTERVAL / 2) == "a"
    # Other services have leases of their own.
    assert acquire_lease("MarkLateRuns", "b", INTERVAL, now) is True


def test_renewing_moves_the_expiry_and_keeps_the_acquisition_time() -> None:
    now = timezone.now()
    acquire_lease("Scheduler", "a", INTERVAL, now)
    assert acquire_lease("Scheduler", "a", INTERVAL, now + INTERVAL / 2) is True
    lease = ServiceLease.objects.get(name="Scheduler")
    assert (lease.holder, lease.acquired, lease.expires) == ("a", now, now + INTERVAL / 2 + INTERVAL)
    # Past the first expiry, but within the renewed one: still a's.
    assert acquire_lease("Scheduler", "b", INTERVAL, now + INTERVAL * 1.2) is False


def test_a_dead_holders_lease_is_taken_over_within_two_intervals() -> None:
    """The holder renews at ``now`` and dies; the lease lasts one interval, and a process
    that tries once per interval takes it at its first try after it ran out."""
    now = timezone.now()
    acquire_lease("Scheduler", "dead", INTERVAL, now)
    assert acquire_lease("Scheduler", "b", INTERVAL, now + INTERVAL - dt.timedelta(milliseconds=1)) is False
    taken_at = now + INTERVAL
    assert acquire_lease("Scheduler", "b", INTERVAL, taken_at) is True
    lease = ServiceLease.objects.get(name="Scheduler")
    assert (lease.holder, lease.acquired) == ("b", taken_at)
    # The old holder, were it to come back, finds the service taken.
    assert acquire_lease("Scheduler", "dead", INTERVAL, taken_at + INTERVAL / 2) is False


def test_a_released_lease_is_free_at_once_and_only_its_holder_releases_it() -> None:
    now = timezone.now()
    acquire_lease("Scheduler", "a", INTERVAL, now)
    assert release_lease("Scheduler", "b") is False
    assert lease_holder("Scheduler", now) == "a"
    assert release_lease("Scheduler", "a") is True
    assert lease_holder("Scheduler", now) is None
    assert acquire_lease("Scheduler", "b", INTERVAL, now) is True
