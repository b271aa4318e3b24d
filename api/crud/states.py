"""Reading state rows back as ``State`` schemas (shared by runs and orchestration)."""

from __future__ import annotations

from typing import Optional

from api import models
from api.schemas.states import State


def state_data(row: models.FlowRunState | models.TaskRunState) -> object:
    """The ``data`` a stored state shows: its legacy inline ``data`` if set, else its
    result artifact's data (callers ``select_related("result_artifact")``), else null."""
    if row.data is not None:
        return row.data
    if row.result_artifact_id is not None and row.result_artifact is not None:
        return row.result_artifact.data
    return None


def state_to_schema(row: Optional[models.FlowRunState | models.TaskRunState]) -> Optional[State]:
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
