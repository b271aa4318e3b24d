"""Reading state rows back as ``State`` schemas (shared by runs and orchestration)."""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from api import models
from api.crud.lookups import require
from api.schemas.states import State


def state_data(row: models.FlowRunState | models.TaskRunState) -> object:
    """The ``data`` a stored state shows: its legacy inline ``data`` if set, else its
    result artifact's data (callers ``select_related("result_artifact")``), else null."""
    if row.data is not None:
        return row.data
    if row.result_artifact_id is not None and row.result_artifact is not None:
        return row.result_artifact.data
    return None


def to_schema(row: Optional[models.FlowRunState | models.TaskRunState]) -> Optional[State]:
    """The ``State`` of a stored state row (``None`` for no row)."""
    if row is None:
        return None
    return State(
        id=row.id,
        type=row.type,
        name=row.name,
        timestamp=row.timestamp,
        message=row.message,
        data=state_data(row),
        state_details=row.state_details or {},
    )


def get_state(model: type[models.FlowRunState] | type[models.TaskRunState], state_id: UUID) -> State:
    """One stored state of ``model`` (with its result data); ``NotFoundError`` if missing."""
    row = model.objects.select_related("result_artifact").filter(id=state_id).first()
    # The original answers this text for task run states too.
    return to_schema(require(row, "Flow run state not found"))


def read_run_states(model: type[models.FlowRunState] | type[models.TaskRunState], **run: UUID) -> list[State]:
    """Every stored state of ``model`` of one run (``flow_run_id=`` / ``task_run_id=``), oldest first."""
    rows = model.objects.select_related("result_artifact").filter(**run).order_by("timestamp")
    return [to_schema(row) for row in rows]
