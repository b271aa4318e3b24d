"""Service leases (``service_lease`` rows): which process runs a background service.

A lease is taken when it is free or expired and renewed by its holder; each call is one
short write transaction, so on SQLite (``BEGIN IMMEDIATE``) two processes never both
see a lease as free. Times come from the calling process's clock: SQLite, the only user
of leases, is always shared by processes on one machine.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from api.models import ServiceLease


def acquire_lease(name: str, holder: str, duration: dt.timedelta, now: Optional[dt.datetime] = None) -> bool:
    """Take or renew the lease ``name`` for ``holder`` until ``now + duration``.

    True when ``holder`` holds it afterwards; False while another holder's lease runs.
    """
    now = now or timezone.now()
    expires = now + duration
    with transaction.atomic():
        renewed = (
            ServiceLease.objects.filter(name=name)
            .filter(Q(holder=holder) | Q(expires__lte=now))
            .update(
                acquired=Case(When(holder=holder, then=F("acquired")), default=Value(now)),
                holder=holder,
                expires=expires,
            )
        )
        if renewed:
            return True
        _, created = ServiceLease.objects.get_or_create(
            name=name, defaults={"holder": holder, "acquired": now, "expires": expires}
        )
        return created


def release_lease(name: str, holder: str) -> bool:
    """Give up the lease ``name`` if ``holder`` has it (so another process may take it at
    once); whether it did."""
    with transaction.atomic():
        deleted, _ = ServiceLease.objects.filter(name=name, holder=holder).delete()
    return bool(deleted)


def lease_holder(name: str, now: Optional[dt.datetime] = None) -> Optional[str]:
    """The holder of an unexpired lease ``name``, or None."""
    return (
        ServiceLease.objects.filter(name=name, expires__gt=now or timezone.now())
        .values_list("holder", flat=True)
        .first()
    )
