"""Saved searches of the UI: upsert by name, read, list, delete."""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from api import models
from api.crud.lookups import delete_or_not_found, first_or_not_found
from api.crud.paging import page
from api.schemas import actions

SAVED_SEARCH_NOT_FOUND = "Saved search not found"


def create_saved_search(search: actions.SavedSearchCreate) -> tuple[models.SavedSearch, bool]:
    """Insert the search, or replace the filters of the one with the same name; the flag
    says whether it was inserted."""
    filters = [item.model_dump(mode="json") for item in search.filters]
    return models.SavedSearch.objects.update_or_create(name=search.name, defaults={"filters": filters})


def get_saved_search(search_id: UUID) -> models.SavedSearch:
    """The saved search with this id; ``NotFoundError`` if there is none."""
    return first_or_not_found(models.SavedSearch.objects.filter(pk=search_id), SAVED_SEARCH_NOT_FOUND)


def read_saved_searches(limit: Optional[int] = None, offset: int = 0) -> list[models.SavedSearch]:
    """One page of saved searches, ordered by name."""
    return page(models.SavedSearch.objects.order_by("name"), offset, limit)


def delete_saved_search(search_id: UUID) -> None:
    """Delete the saved search; ``NotFoundError`` if there is none."""
    delete_or_not_found(models.SavedSearch.objects.filter(pk=search_id), SAVED_SEARCH_NOT_FOUND)
