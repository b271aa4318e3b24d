"""The "this row must exist" steps shared by crud modules: each answers a missing row
with ``NotFoundError`` carrying the resource's own wire message."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from api.errors import NotFoundError

M = TypeVar("M", bound=Model)


def first_or_not_found(rows: QuerySet[M], message: str) -> M:
    """The first of ``rows``; ``NotFoundError(message)`` if there is none."""
    row = rows.first()
    if row is None:
        raise NotFoundError(message)
    return row


def update_or_not_found(rows: QuerySet[M], message: str, **values: Any) -> None:
    """Write ``values`` to ``rows``; ``NotFoundError(message)`` if there are none."""
    if not rows.update(**values):
        raise NotFoundError(message)


def delete_or_not_found(rows: QuerySet[M], message: str) -> None:
    """Delete ``rows``; ``NotFoundError(message)`` if there are none."""
    deleted, _ = rows.delete()
    if not deleted:
        raise NotFoundError(message)
