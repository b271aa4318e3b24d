"""The rows a request names: present, or the request's not-found error."""

from __future__ import annotations

from typing import Optional, TypeVar

from django.db.models import QuerySet
from django.utils import timezone
from pydantic import BaseModel

from api.errors import NotFoundError

T = TypeVar("T")


def require(row: Optional[T], missing: str) -> T:
    """``row`` itself; ``NotFoundError(missing)`` when it is None."""
    if row is None:
        raise NotFoundError(missing)
    return row


def require_some(count: int, missing: str) -> None:
    """``NotFoundError(missing)`` when a write touched no row."""
    if not count:
        raise NotFoundError(missing)


def update_sent(rows: QuerySet, update: BaseModel, missing: str) -> None:
    """Write the keys sent in ``update`` (JSON values replaced whole) and ``updated`` to
    ``rows``; ``NotFoundError(missing)`` when there is no such row."""
    values = update.model_dump(include=update.model_fields_set, mode="json")
    require_some(rows.update(**values, updated=timezone.now()), missing)
