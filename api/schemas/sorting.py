"""Sort options of the ``/filter`` bodies; ``api.crud.filters`` turns them into orderings."""

from __future__ import annotations

import enum


class FlowSort(str, enum.Enum):
    """Orderings of ``/flows/filter``."""

    CREATED_DESC = "CREATED_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"


class FlowRunSort(str, enum.Enum):
    """Orderings of ``/flow_runs/filter``; ``START_TIME_*`` sorts by the start time, or the
    expected start time of runs that have not started."""

    ID_DESC = "ID_DESC"
    START_TIME_ASC = "START_TIME_ASC"
    START_TIME_DESC = "START_TIME_DESC"
    EXPECTED_START_TIME_ASC = "EXPECTED_START_TIME_ASC"
    EXPECTED_START_TIME_DESC = "EXPECTED_START_TIME_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    NEXT_SCHEDULED_START_TIME_ASC = "NEXT_SCHEDULED_START_TIME_ASC"
    END_TIME_DESC = "END_TIME_DESC"


class TaskRunSort(str, enum.Enum):
    """Orderings of ``/task_runs/filter``."""

    ID_DESC = "ID_DESC"
    EXPECTED_START_TIME_ASC = "EXPECTED_START_TIME_ASC"
    EXPECTED_START_TIME_DESC = "EXPECTED_START_TIME_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    NEXT_SCHEDULED_START_TIME_ASC = "NEXT_SCHEDULED_START_TIME_ASC"
    END_TIME_DESC = "END_TIME_DESC"


class DeploymentSort(str, enum.Enum):
    """Orderings of ``/deployments/filter``."""

    CREATED_DESC = "CREATED_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"


class LogSort(str, enum.Enum):
    """Orderings of ``/logs/filter``."""

    TIMESTAMP_ASC = "TIMESTAMP_ASC"
    TIMESTAMP_DESC = "TIMESTAMP_DESC"
    LEVEL_ASC = "LEVEL_ASC"
    LEVEL_DESC = "LEVEL_DESC"
    FLOW_RUN_ID_ASC = "FLOW_RUN_ID_ASC"
    FLOW_RUN_ID_DESC = "FLOW_RUN_ID_DESC"
    TASK_RUN_ID_ASC = "TASK_RUN_ID_ASC"
    TASK_RUN_ID_DESC = "TASK_RUN_ID_DESC"


class ArtifactSort(str, enum.Enum):
    """Orderings of ``/experimental/artifacts/filter``."""

    CREATED_DESC = "CREATED_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    ID_DESC = "ID_DESC"
    KEY_DESC = "KEY_DESC"
    KEY_ASC = "KEY_ASC"
