"""API tokens: named, per-user bearer credentials stored only as a SHA-256 digest.

Roles are Django groups (``admin``, ``operator``, ``viewer``, created by a migration);
a token carries the role of its user.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from api.utilities.ids import new_id


class APIToken(models.Model):
    """A bearer token of one user; the secret itself is shown once and never stored."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    # The unique index makes verifying a token one indexed lookup.
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the secret, so people can tell their tokens apart.
    prefix = models.CharField(max_length=16, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    expires = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "api_token"
        ordering = ("-created",)
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        """Neither revoked nor expired."""
        return self.revoked is None and (self.expires is None or self.expires > timezone.now())
