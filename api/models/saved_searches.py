"""Saved searches of the UI."""

from django.db import models

from api.models.base import ORMBaseModel


class SavedSearch(ORMBaseModel):
    """A named list of UI filters."""

    name = models.TextField()
    filters = models.JSONField(default=list)

    class Meta:
        db_table = "saved_search"
        constraints = [models.UniqueConstraint(fields=["name"], name="uq_saved_search__name")]

    def __str__(self) -> str:
        return self.name
