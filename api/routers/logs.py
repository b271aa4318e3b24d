"""Log routes (``/logs``)."""

from __future__ import annotations

from typing import Optional

from django.http import HttpRequest, HttpResponse
from pydantic import Field

from api.crud import logs as log_lines
from api.dependencies import write_transaction
from api.schemas import actions, core, filters
from api.schemas.base import Limit, Offset, RequestBody
from api.schemas.sorting import LogSort
from api.utilities.server import OrionRouter, json_response

router = OrionRouter(prefix="/logs", tags=["Logs"])


class LogFilterRequest(RequestBody):
    """Body of ``POST /logs/filter``."""

    logs: Optional[filters.LogFilter] = None
    sort: LogSort = LogSort.TIMESTAMP_ASC
    limit: Limit = Field(default=None, validate_default=True)
    offset: Offset = 0


@router.post("/")
def create_logs(request: HttpRequest, logs: list[actions.LogCreate]) -> HttpResponse:
    """Store a batch of log lines (201 ``null``)."""
    write_transaction(request)
    log_lines.create_logs(logs)
    return json_response(None, 201)


@router.post("/filter")
def read_logs(request: HttpRequest, body: LogFilterRequest) -> list[core.Log]:
    """Log lines matching the filter, sorted, one page."""
    rows = log_lines.read_logs(body.logs, sort=body.sort, limit=body.limit, offset=body.offset)
    return [core.Log.model_validate(row) for row in rows]
