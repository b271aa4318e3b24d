"""The row a request names: present, or the request's not-found error."""

from __future__ import annotations

from typing import Optional, TypeVar

from api.errors import NotFoundError

T = TypeVar("T")


def require(row: Optional[T], missing: str) -> T:
    """``row`` itself; ``NotFoundError(missing)`` (a 404 with that detail) when it is None."""
    if row is None:
        raise NotFoundError(missing)
    return row
