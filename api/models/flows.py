"""Flows."""

from django.db import models

from api.models.base import NamedModel


class Flow(NamedModel):
    """A named flow; runs and deployments hang off it."""

    tags = models.JSONField(default=list)

    class Meta:
        db_table = "flow"
        constraints = [models.UniqueConstraint(fields=["name"], name="uq_flow__name")]
        indexes = [models.Index(fields=["created"], name="ix_flow__created")]
