"""Saved search routes (``/saved_searches``)."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja.responses import Status

from api.crud import saved_searches
from api.dependencies import write_transaction
from api.routers.concurrency_limits import PageRequest
from api.schemas import actions, core
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/saved_searches", tags=["SavedSearches"])


@router.put("/", status_code=201)
def create_saved_search(request: HttpRequest, saved_search: actions.SavedSearchCreate) -> core.SavedSearch:
    """Save a search, or replace the filters of the one with this name (200)."""
    write_transaction(request)
    row, created = saved_searches.create_saved_search(saved_search)
    return Status(201 if created else 200, core.SavedSearch.model_validate(row))


@router.post("/filter")
def read_saved_searches(request: HttpRequest, body: PageRequest) -> list[core.SavedSearch]:
    """One page of saved searches, by name."""
    rows = saved_searches.read_saved_searches(limit=body.limit, offset=body.offset)
    return [core.SavedSearch.model_validate(row) for row in rows]


@router.get("/{id}")
def read_saved_search(request: HttpRequest, id: UUID) -> core.SavedSearch:
    """The saved search with this id."""
    return core.SavedSearch.model_validate(saved_searches.get_saved_search(id))


@router.delete("/{id}", status_code=204)
def delete_saved_search(request: HttpRequest, id: UUID) -> None:
    """Delete a saved search."""
    write_transaction(request)
    saved_searches.delete_saved_search(id)
