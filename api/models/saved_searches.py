"""Saved searches of the UI."""

from django.db import models

from api.models.base import NamedModel


class SavedSearch(NamedModel):
    """A named list of UI filters."""

    filters = models.JSONField(default=list)

    class Meta:
        db_table = "saved_search"
        constraints = [models.UniqueConstraint(fields=["name"], name="uq_saved_search__name")]
