"""Server-side key/value configuration (e.g. what start-up registration already did)."""

from django.db import models

from api.models.base import ORMBaseModel


class Configuration(ORMBaseModel):
    """One named JSON value."""

    key = models.TextField(unique=True)
    value = models.JSONField(default=dict)

    class Meta:
        db_table = "configuration"

    def __str__(self) -> str:
        return self.key
