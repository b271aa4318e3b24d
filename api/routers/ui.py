"""Routes the UI alone uses (``/ui/flow_runs``)."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from pydantic import Field

from api.crud import flow_runs, history
from api.crud.filters import RunFilterSet
from api.routers.flow_runs import RunFilters
from api.schemas.base import Offset
from api.schemas.responses import SimpleFlowRun
from api.schemas.sorting import FlowRunSort
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/ui/flow_runs", tags=["Flow Runs", "UI"])


class UIFlowRunHistoryRequest(RunFilters):
    """Body of ``POST /ui/flow_runs/history`` (its own page size: up to 1000)."""

    sort: FlowRunSort = FlowRunSort.EXPECTED_START_TIME_DESC
    limit: Annotated[int, Field(ge=0, le=1000)] = 1000
    offset: Offset = 0


@router.post("/history")
def read_flow_run_history(request: HttpRequest, body: UIFlowRunHistoryRequest) -> list[SimpleFlowRun]:
    """One point per matching flow run: when it started, how long it ran, how late."""
    rows = flow_runs.read_flow_runs(
        filters=RunFilterSet.of(body),
        sort=body.sort,
        limit=body.limit,
        offset=body.offset,
        columns=flow_runs.HISTORY_POINT_FIELDS,
    )
    return history.simple_flow_runs(rows)
