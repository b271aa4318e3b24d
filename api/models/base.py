"""Common columns of every API table: UUID ``id``, ``created`` and an indexed ``updated``;
the ``name`` most of them add."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Optional

from django.db import models
from django.utils import timezone

from api.utilities.ids import new_id


class ORMBaseModel(models.Model):
    """Abstract base: ``id``/``created``/``updated`` as in the original schema.

    ``updated`` is bumped by ``save()``; code using ``QuerySet.update()`` must set it too
    (crud helpers do).
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db: str | None, field_names: Sequence[str], values: Sequence[Any]) -> "ORMBaseModel":
        """Django's ``from_db``, remembering the loaded values for ``save_changed()``."""
        instance = super().from_db(db, field_names, values)
        instance._saved_values = dict(zip(field_names, values))
        return instance

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, bumping ``updated`` (and listing it when only some fields are saved)."""
        if not self._state.adding:
            self.updated = timezone.now()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "updated" not in update_fields:
                kwargs["update_fields"] = [*update_fields, "updated"]
        super().save(*args, **kwargs)
        self.remember_saved_values()

    def remember_saved_values(self) -> None:
        """Take the current values as what the database holds (after a save or an insert)."""
        self._saved_values = {
            f.attname: self.__dict__[f.attname] for f in self._meta.concrete_fields if f.attname in self.__dict__
        }

    def save_changed(self, update: Optional[Callable[["ORMBaseModel", list[str]], None]] = None) -> None:
        """Save only the columns that differ from what was loaded or last saved.

        An UPDATE of every column costs several times the CPU of the few that a state change
        touches. JSON values (dicts and lists, which may have been changed in place) always
        count as changed. A row never loaded nor saved is saved whole. ``update(self,
        attnames)``, when given, writes those columns instead of ``save(update_fields=...)``
        (``api.crud.prepared.PreparedUpdate.update``).
        """
        saved = getattr(self, "_saved_values", None)
        if saved is None or self._state.adding:
            self.save()
            return
        changed = [
            name
            for name, value in ((f.attname, self.__dict__.get(f.attname, saved.get(f.attname))) for f in self._meta.concrete_fields)
            if name != "updated" and (isinstance(value, (dict, list)) or value != saved.get(name))
        ]
        if update is None:
            self.save(update_fields=changed)
            return
        self.updated = timezone.now()  # as save() bumps it
        update(self, [*changed, "updated"])
        self.remember_saved_values()


class NamedModel(ORMBaseModel):
    """Abstract base of the rows people know by their (text) ``name``."""

    name = models.TextField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name
