"""Tag concurrency limits."""

from django.db import models

from api.models.base import ORMBaseModel


class ConcurrencyLimit(ORMBaseModel):
    """At most ``concurrency_limit`` running task runs carrying ``tag``."""

    tag = models.TextField()
    concurrency_limit = models.IntegerField()
    active_slots = models.JSONField(default=list)

    class Meta:
        db_table = "concurrency_limit"
        constraints = [models.UniqueConstraint(fields=["tag"], name="uq_concurrency_limit__tag")]

    def __str__(self) -> str:
        return f"{self.tag} ({self.concurrency_limit})"
