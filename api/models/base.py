"""Common columns of every API table: UUID ``id``, ``created`` and an indexed ``updated``;
the ``name`` most of them add."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils import timezone


class ORMBaseModel(models.Model):
    """Abstract base: ``id``/``created``/``updated`` as in the original schema.

    ``updated`` is bumped by ``save()``; code using ``QuerySet.update()`` must set it too
    (crud helpers do).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, bumping ``updated`` (and listing it when only some fields are saved)."""
        if not self._state.adding:
            self.updated = timezone.now()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "updated" not in update_fields:
                kwargs["update_fields"] = [*update_fields, "updated"]
        super().save(*args, **kwargs)


class NamedModel(ORMBaseModel):
    """Abstract base of the rows people know by their (text) ``name``."""

    name = models.TextField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name
