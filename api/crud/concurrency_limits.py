"""Tag concurrency limits: upsert by tag, read, list, reset slots, delete."""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from django.utils import timezone

from api import models
from api.schemas import actions


def create_concurrency_limit(limit: actions.ConcurrencyLimitCreate) -> models.ConcurrencyLimit:
    """Insert the limit for its tag, or change the existing one's limit (slots kept)."""
    row, _ = models.ConcurrencyLimit.objects.update_or_create(
        tag=limit.tag, defaults={"concurrency_limit": limit.concurrency_limit}
    )
    return row


def read_concurrency_limit(limit_id: UUID) -> Optional[models.ConcurrencyLimit]:
    """The limit with this id, or None."""
    return models.ConcurrencyLimit.objects.filter(pk=limit_id).first()


def read_concurrency_limit_by_tag(tag: str) -> Optional[models.ConcurrencyLimit]:
    """The limit of this tag, or None."""
    return models.ConcurrencyLimit.objects.filter(tag=tag).first()


def read_concurrency_limits(limit: Optional[int] = None, offset: int = 0) -> list[models.ConcurrencyLimit]:
    """One page of limits, ordered by tag."""
    end = None if limit is None else offset + limit
    return list(models.ConcurrencyLimit.objects.order_by("tag")[offset:end])


def reset_concurrency_limit_by_tag(tag: str, slot_override: Optional[list[UUID]] = None) -> bool:
    """Replace the tag's active slots with ``slot_override`` (or none); False if unknown."""
    slots = [str(slot) for slot in slot_override or []]
    updated = models.ConcurrencyLimit.objects.filter(tag=tag).update(
        active_slots=slots, updated=timezone.now()
    )
    return updated > 0


def delete_concurrency_limit(limit_id: UUID) -> bool:
    """Delete the limit with this id; False if missing."""
    deleted, _ = models.ConcurrencyLimit.objects.filter(pk=limit_id).delete()
    return deleted > 0


def delete_concurrency_limit_by_tag(tag: str) -> bool:
    """Delete the limit of this tag; False if missing."""
    deleted, _ = models.ConcurrencyLimit.objects.filter(tag=tag).delete()
    return deleted > 0
