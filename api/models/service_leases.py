"""Leases of the background services on databases without advisory locks (SQLite).

One row per service: the process that holds it (``holder``) runs that service until
``expires``; the holder renews it while it lives, so a process that dies stops renewing
and another one takes the service over once the lease has expired. PostgreSQL uses
advisory locks instead (``api.crud.locks``) and leaves this table empty.
"""

from django.db import models


class ServiceLease(models.Model):
    """Which process runs one background service, and until when."""

    name = models.CharField(max_length=200, primary_key=True)
    holder = models.CharField(max_length=255)
    acquired = models.DateTimeField()
    expires = models.DateTimeField()

    class Meta:
        db_table = "service_lease"

    def __str__(self) -> str:
        return f"{self.name} ({self.holder})"
