"""Saved search routes (``/saved_searches``)."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja.responses import Status

from api.crud import saved_searches
from api.dependencies import write_transaction
from api.errors import OrionHTTPError
from api.routers.concurrency_limits import PageRequest
from api.schemas import actions, core
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/saved_searches", tags=["SavedSearches"])

NOT_FOUND = "Saved search not found"


@router.put("/", status_code=201)
def create_saved_search(request: HttpRequest, saved_search: actions.SavedSearchCreate) -> core.SavedSearch:
    """Save a search, or replace the filters of the one with this name (200)."""
    write_transaction(request)
    row, created = saved_searches.create_saved_search(saved_search)
    return Status(201 if created else 200, core.SavedSearch.model_validate(row))


@router.post("/filter")
def read_saved_searches(request: HttpRequest, body: PageRequest) -> list[core.SavedSearch]:
    """One page of saved searches, by name."""
    return [core.SavedSearch.model_validate(row) for row in saved_searches.read_saved_searches(body.limit, body.offset)]


@router.get("/{id}")
def read_saved_search(request: HttpRequest, id: UUID) -> core.SavedSearch:
    """The saved search with this id."""
    row = saved_searches.read_saved_search(id)
    if row is None:
        raise OrionHTTPError(404, NOT_FOUND)
    return core.SavedSearch.model_validate(row)


@router.delete("/{id}", status_code=204)
def delete_saved_search(request: HttpRequest, id: UUID) -> None:
    """Delete a saved search."""
    write_transaction(request)
    if not saved_searches.delete_saved_search(id):
        raise OrionHTTPError(404, NOT_FOUND)
