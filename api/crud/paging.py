"""One page of a query: the ``offset``/``limit`` of every ``/filter`` route."""

from __future__ import annotations

from typing import Any, Optional, TypeVar

from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.db.models.expressions import RawSQL

M = TypeVar("M", bound=Model)


def page(queryset: QuerySet[M], offset: int = 0, limit: Optional[int] = None) -> list[M]:
    """The rows ``offset`` to ``offset + limit`` of ``queryset`` (all from ``offset`` when
    ``limit`` is None), fetched in one query."""
    end = None if limit is None else offset + limit
    return list(queryset[offset:end])


def page_merging_values(
    rows: QuerySet[M],
    criteria: Q,
    ordering: tuple[Any, ...],
    field: str,
    values: list[Any],
    offset: int,
    limit: int,
) -> list[M]:
    """The page ``page(rows.filter(criteria).order_by(*ordering), offset, limit)`` would
    give, for ``criteria`` that only rows whose ``field`` is one of ``values`` meet.

    With an index led by ``field`` in the sort order, the first ``offset + limit`` rows of
    each value are an index range away; one query over all the values must instead sort
    every row they have (SQLite) or walk the sort index past the other values' rows
    (PostgreSQL), a tenth of a million rows for the runs page's failed tab at a million
    runs. So each value's first rows are taken apart and the page is cut from their union.
    The union is one ``IN (… UNION ALL …)``: PostgreSQL misjudges ``IN … OR IN …``
    and walks the sort index again. Ties in the sort may come out in another order than
    the single query's, which leaves their order unspecified too.
    """
    model = rows.model
    quote = connection.ops.quote_name
    window = offset + limit
    parts, params = [], []
    for position, value in enumerate(values):
        first = model.objects.filter(criteria, **{field: value}).order_by(*ordering).values("pk")[:window]
        sql, first_params = first.query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) AS {quote(f'_first_{position}')}")
        params.extend(first_params)
    union = RawSQL(" UNION ALL ".join(parts), params)
    return page(rows.filter(pk__in=union).order_by(*ordering), offset, limit)
