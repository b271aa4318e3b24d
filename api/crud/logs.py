"""Log lines: batch insert and filtered reads."""

from __future__ import annotations

from typing import Optional

from django.db import connection
from django.utils import timezone

from api import events, models
from api.crud.filters import log_filter_q, order_by
from api.crud.paging import page
from api.schemas import actions, filters
from api.schemas.sorting import LogSort
from api.utilities.ids import new_id

_COLUMNS = ("id", "created", "updated", "name", "level", "message", "timestamp", "flow_run_id", "task_run_id")


def create_logs(logs: list[actions.LogCreate]) -> None:
    """Store the lines in one statement (run ids are not checked) and announce them per
    flow run.

    ``executemany`` rather than ``bulk_create``: Django's SQLite backend splits a
    multi-row INSERT every 999 parameters (111 log lines), so the statement count would
    grow with the batch; one prepared statement run per row stays a single round trip.
    """
    if not logs:
        return
    fields = [models.Log._meta.get_field(name) for name in _COLUMNS]
    now = timezone.now()
    rows = []
    for log in logs:
        values = {"id": new_id(), "created": now, "updated": now, **log.model_dump()}
        rows.append([field.get_db_prep_save(values[field.name], connection) for field in fields])
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(models.Log._meta.db_table)} ({columns}) VALUES ({placeholders})", rows
        )
    events.logs_created(log.flow_run_id for log in logs)


def read_logs(
    logs: Optional[filters.LogFilter] = None,
    sort: LogSort = LogSort.TIMESTAMP_ASC,
    limit: Optional[int] = None,
    offset: int = 0,
) -> list[models.Log]:
    """Log lines matching the filter, sorted, one page."""
    return page(models.Log.objects.filter(log_filter_q(logs)).order_by(*order_by(sort)), offset, limit)
