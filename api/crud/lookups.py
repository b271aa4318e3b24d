"""The "this row must exist" steps shared by crud modules: each answers a missing row
(or a write that touched none) with ``NotFoundError`` carrying the resource's own wire
message."""

from __future__ import annotations

from typing import Any, Optional, TypeVar

from django.db.models import Model, QuerySet
from django.utils import timezone
from pydantic import BaseModel

from api.errors import NotFoundError

M = TypeVar("M", bound=Model)
T = TypeVar("T")


def first_or_not_found(rows: QuerySet[M], message: str) -> M:
    """The row of a unique lookup, or the first of ordered ``rows``;
    ``NotFoundError(message)`` if there is none.

    ``rows[:1]``, not ``first()``: on an unordered queryset ``first()`` adds an ORDER BY
    whose compilation costs more than the lookup, for nothing when the key is unique.
    """
    found = list(rows[:1])
    if not found:
        raise NotFoundError(message)
    return found[0]


def update_or_not_found(rows: QuerySet[M], message: str, **values: Any) -> None:
    """Write ``values`` to ``rows``; ``NotFoundError(message)`` if there are none."""
    require_some(rows.update(**values), message)


def delete_or_not_found(rows: QuerySet[M], message: str) -> None:
    """Delete ``rows``; ``NotFoundError(message)`` if there are none."""
    deleted, _ = rows.delete()
    require_some(deleted, message)


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
