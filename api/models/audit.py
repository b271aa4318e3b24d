"""The audit trail: one row per mutating API call, refused call and secret reveal."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """Who did what, from where, and how it ended."""

    class Outcome(models.TextChoices):
        COMMITTED = "committed", "committed"  # written in the transaction of the change
        ROLLED_BACK = "rolled back", "rolled back"  # a write transaction was opened, then undone
        REFUSED = "refused", "refused"  # 401/403 from the guard: nothing ran
        FAILED = "failed", "failed"  # an error answer before any write transaction
        DONE = "done", "done"  # a mutating call that answered 2xx without a write transaction
        REVEALED = "revealed", "revealed"  # secret values were sent to the caller

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too, so the trail still names a user who was deleted later.
    username = models.CharField(max_length=150, blank=True)
    token_name = models.CharField(max_length=100, blank=True)
    peer = models.CharField(max_length=64, blank=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    object_id = models.CharField(max_length=200, blank=True)
    status = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        db_table = "api_audit_event"
        ordering = ("-at",)
        verbose_name = "audit event"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or 'anonymous'} {self.method} {self.path} {self.status}"
