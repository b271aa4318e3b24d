"""Tag concurrency limits: upsert by tag, read, list, reset slots, delete."""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from django.utils import timezone

from api import models
from api.crud.lookups import delete_or_not_found, first_or_not_found, update_or_not_found
from api.crud.paging import page
from api.schemas import actions

CONCURRENCY_LIMIT_NOT_FOUND = "Concurrency limit not found"


def create_concurrency_limit(limit: actions.ConcurrencyLimitCreate) -> models.ConcurrencyLimit:
    """Insert the limit for its tag, or change the existing one's limit (slots kept)."""
    row, _ = models.ConcurrencyLimit.objects.update_or_create(
        tag=limit.tag, defaults={"concurrency_limit": limit.concurrency_limit}
    )
    return row


def get_concurrency_limit(limit_id: UUID) -> models.ConcurrencyLimit:
    """The limit with this id; ``NotFoundError`` if there is none."""
    return first_or_not_found(models.ConcurrencyLimit.objects.filter(pk=limit_id), CONCURRENCY_LIMIT_NOT_FOUND)


def get_concurrency_limit_by_tag(tag: str) -> models.ConcurrencyLimit:
    """The limit of this tag; ``NotFoundError`` if there is none."""
    return first_or_not_found(models.ConcurrencyLimit.objects.filter(tag=tag), CONCURRENCY_LIMIT_NOT_FOUND)


def read_concurrency_limits(limit: Optional[int] = None, offset: int = 0) -> list[models.ConcurrencyLimit]:
    """One page of limits, ordered by tag."""
    return page(models.ConcurrencyLimit.objects.order_by("tag"), offset, limit)


def reset_concurrency_limit_by_tag(tag: str, slot_override: Optional[list[UUID]] = None) -> None:
    """Replace the tag's active slots with ``slot_override`` (or none); ``NotFoundError``
    if the tag has no limit."""
    slots = [str(slot) for slot in slot_override or []]
    update_or_not_found(
        models.ConcurrencyLimit.objects.filter(tag=tag),
        CONCURRENCY_LIMIT_NOT_FOUND,
        active_slots=slots,
        updated=timezone.now(),
    )


def delete_concurrency_limit(limit_id: UUID) -> None:
    """Delete the limit with this id; ``NotFoundError`` if there is none."""
    delete_or_not_found(models.ConcurrencyLimit.objects.filter(pk=limit_id), CONCURRENCY_LIMIT_NOT_FOUND)


def delete_concurrency_limit_by_tag(tag: str) -> None:
    """Delete the limit of this tag; ``NotFoundError`` if there is none."""
    delete_or_not_found(models.ConcurrencyLimit.objects.filter(tag=tag), CONCURRENCY_LIMIT_NOT_FOUND)
