"""Saved searches of the UI: upsert by name, read, list, delete."""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from api import models
from api.schemas import actions


def create_saved_search(search: actions.SavedSearchCreate) -> tuple[models.SavedSearch, bool]:
    """Insert the search, or replace the filters of the one with the same name; the flag
    says whether it was inserted."""
    filters = [item.model_dump(mode="json") for item in search.filters]
    return models.SavedSearch.objects.update_or_create(name=search.name, defaults={"filters": filters})


def read_saved_search(search_id: UUID) -> Optional[models.SavedSearch]:
    """The saved search with this id, or None."""
    return models.SavedSearch.objects.filter(pk=search_id).first()


def read_saved_searches(limit: Optional[int] = None, offset: int = 0) -> list[models.SavedSearch]:
    """One page of saved searches, ordered by name."""
    end = None if limit is None else offset + limit
    return list(models.SavedSearch.objects.order_by("name")[offset:end])


def delete_saved_search(search_id: UUID) -> bool:
    """Delete the saved search; False if missing."""
    deleted, _ = models.SavedSearch.objects.filter(pk=search_id).delete()
    return deleted > 0
