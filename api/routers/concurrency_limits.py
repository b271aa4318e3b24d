"""Tag concurrency limit routes (``/concurrency_limits``)."""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from pydantic import Field

from api.crud import concurrency_limits
from api.dependencies import write_transaction
from api.schemas import actions, core
from api.schemas.base import Limit, Offset, RequestBody
from api.utilities.server import OrionRouter, json_response

router = OrionRouter(prefix="/concurrency_limits", tags=["Concurrency Limits"])


class PageRequest(RequestBody):
    """A ``limit``/``offset`` body."""

    limit: Limit = Field(default=None, validate_default=True)
    offset: Offset = 0


class ResetRequest(RequestBody):
    """Body of ``POST /concurrency_limits/tag/{tag}/reset``."""

    slot_override: Optional[list[UUID]] = None


@router.post("/")
def create_concurrency_limit(
    request: HttpRequest, concurrency_limit: actions.ConcurrencyLimitCreate
) -> core.ConcurrencyLimit:
    """Set the limit of a tag (an upsert that keeps the active slots; always 200)."""
    write_transaction(request)
    return core.ConcurrencyLimit.model_validate(concurrency_limits.create_concurrency_limit(concurrency_limit))


@router.get("/tag/{tag}")
def read_concurrency_limit_by_tag(request: HttpRequest, tag: str) -> core.ConcurrencyLimit:
    """The limit of this tag."""
    return core.ConcurrencyLimit.model_validate(concurrency_limits.get_concurrency_limit_by_tag(tag))


@router.post("/filter")
def read_concurrency_limits(request: HttpRequest, body: PageRequest) -> list[core.ConcurrencyLimit]:
    """One page of limits, by tag."""
    rows = concurrency_limits.read_concurrency_limits(limit=body.limit, offset=body.offset)
    return [core.ConcurrencyLimit.model_validate(row) for row in rows]


@router.post("/tag/{tag}/reset")
def reset_concurrency_limit_by_tag(request: HttpRequest, tag: str, body: ResetRequest) -> HttpResponse:
    """Replace the tag's active slots with ``slot_override`` (or none); 200 ``null``."""
    write_transaction(request)
    concurrency_limits.reset_concurrency_limit_by_tag(tag, body.slot_override)
    return json_response(None, 200)


@router.delete("/tag/{tag}")
def delete_concurrency_limit_by_tag(request: HttpRequest, tag: str) -> HttpResponse:
    """Delete the limit of this tag (200 ``null``)."""
    write_transaction(request)
    concurrency_limits.delete_concurrency_limit_by_tag(tag)
    return json_response(None, 200)


@router.get("/{id}")
def read_concurrency_limit(request: HttpRequest, id: UUID) -> core.ConcurrencyLimit:
    """The limit with this id."""
    return core.ConcurrencyLimit.model_validate(concurrency_limits.get_concurrency_limit(id))


@router.delete("/{id}")
def delete_concurrency_limit(request: HttpRequest, id: UUID) -> HttpResponse:
    """Delete the limit with this id (200 ``null``)."""
    write_transaction(request)
    concurrency_limits.delete_concurrency_limit(id)
    return json_response(None, 200)
