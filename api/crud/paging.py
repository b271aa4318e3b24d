"""One page of a query: the ``offset``/``limit`` of every ``/filter`` route."""

from __future__ import annotations

from typing import Optional, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def page(queryset: QuerySet[M], offset: int = 0, limit: Optional[int] = None) -> list[M]:
    """The rows ``offset`` to ``offset + limit`` of ``queryset`` (all from ``offset`` when
    ``limit`` is None), fetched in one query."""
    end = None if limit is None else offset + limit
    return list(queryset[offset:end])
