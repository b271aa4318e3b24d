"""The orderings of the ``/filter`` routes' sort options."""

from __future__ import annotations

from typing import Any

from django.db.models.functions import Coalesce

from api.schemas.sorting import ArtifactSort, DeploymentSort, FlowRunSort, FlowSort, LogSort, TaskRunSort

_START_TIME = Coalesce("start_time", "expected_start_time")

# The sort enums are str enums: options of the same name (``ID_DESC``, ``NAME_ASC``, ...) are
# one key here, so they must, and do, mean the same ordering in every enum.
_ORDERINGS: dict[Any, tuple[Any, ...]] = {
    FlowSort.CREATED_DESC: ("-created",),
    FlowSort.UPDATED_DESC: ("-updated",),
    FlowSort.NAME_ASC: ("name",),
    FlowSort.NAME_DESC: ("-name",),
    FlowRunSort.ID_DESC: ("-id",),
    FlowRunSort.START_TIME_ASC: (_START_TIME.asc(),),
    FlowRunSort.START_TIME_DESC: (_START_TIME.desc(),),
    FlowRunSort.EXPECTED_START_TIME_ASC: ("expected_start_time",),
    FlowRunSort.EXPECTED_START_TIME_DESC: ("-expected_start_time",),
    FlowRunSort.NAME_ASC: ("name",),
    FlowRunSort.NAME_DESC: ("-name",),
    FlowRunSort.NEXT_SCHEDULED_START_TIME_ASC: ("next_scheduled_start_time",),
    FlowRunSort.END_TIME_DESC: ("-end_time",),
    TaskRunSort.ID_DESC: ("-id",),
    TaskRunSort.EXPECTED_START_TIME_ASC: ("expected_start_time",),
    TaskRunSort.EXPECTED_START_TIME_DESC: ("-expected_start_time",),
    TaskRunSort.NAME_ASC: ("name",),
    TaskRunSort.NAME_DESC: ("-name",),
    TaskRunSort.NEXT_SCHEDULED_START_TIME_ASC: ("next_scheduled_start_time",),
    TaskRunSort.END_TIME_DESC: ("-end_time",),
    DeploymentSort.CREATED_DESC: ("-created",),
    DeploymentSort.UPDATED_DESC: ("-updated",),
    DeploymentSort.NAME_ASC: ("name",),
    DeploymentSort.NAME_DESC: ("-name",),
    LogSort.TIMESTAMP_ASC: ("timestamp",),
    LogSort.TIMESTAMP_DESC: ("-timestamp",),
    LogSort.LEVEL_ASC: ("level",),
    LogSort.LEVEL_DESC: ("-level",),
    LogSort.FLOW_RUN_ID_ASC: ("flow_run_id",),
    LogSort.FLOW_RUN_ID_DESC: ("-flow_run_id",),
    LogSort.TASK_RUN_ID_ASC: ("task_run_id",),
    LogSort.TASK_RUN_ID_DESC: ("-task_run_id",),
    ArtifactSort.CREATED_DESC: ("-created",),
    ArtifactSort.UPDATED_DESC: ("-updated",),
    ArtifactSort.ID_DESC: ("-id",),
    ArtifactSort.KEY_DESC: ("-key",),
    ArtifactSort.KEY_ASC: ("key",),
}


# Flow-run sorts served, for one state type, by an index led by ``state_type``
# (migration 0070): the first rows of each type are an index range away.
STATE_TYPE_INDEXED_SORTS = frozenset(
    {FlowRunSort.START_TIME_ASC, FlowRunSort.START_TIME_DESC, FlowRunSort.END_TIME_DESC}
)


def order_by(sort: FlowSort | FlowRunSort | TaskRunSort | DeploymentSort | LogSort | ArtifactSort) -> tuple[Any, ...]:
    """The ``order_by()`` arguments of a sort option (no tie-breaker, as in the original)."""
    return _ORDERINGS[sort]
