"""Response bodies that are not plain resource models (orchestration results, ...)."""

from __future__ import annotations

import enum
from typing import Literal, Optional, Union
from uuid import UUID

from pydantic import Field

from api.schemas.base import DateTime, Duration, PrefectBaseModel
from api.schemas.core import Deployment, FlowRun, FlowRunBase, TaskRunResult
from api.schemas.states import State, StateType


class SetStateStatus(str, enum.Enum):
    """What orchestration did with a proposed state."""

    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    ABORT = "ABORT"
    WAIT = "WAIT"


class StateAcceptDetails(PrefectBaseModel):
    """The proposed state was written as proposed."""

    type: Literal["accept_details"] = "accept_details"


class StateRejectDetails(PrefectBaseModel):
    """The proposed state was replaced (or dropped)."""

    type: Literal["reject_details"] = "reject_details"
    reason: Optional[str] = None


class StateAbortDetails(PrefectBaseModel):
    """The transition is not allowed; nothing was written."""

    type: Literal["abort_details"] = "abort_details"
    reason: Optional[str] = None


class StateWaitDetails(PrefectBaseModel):
    """Try again after ``delay_seconds``; nothing was written."""

    type: Literal["wait_details"] = "wait_details"
    delay_seconds: int
    reason: Optional[str] = None


OrchestrationDetails = Union[StateAcceptDetails, StateRejectDetails, StateAbortDetails, StateWaitDetails]


class OrchestrationResult(PrefectBaseModel):
    """The answer to a proposed state: the run's resulting state, a status and why."""

    state: Optional[State] = None
    status: SetStateStatus
    details: OrchestrationDetails = Field(discriminator="type")


# --- Runs ----------------------------------------------------------------------------


class FlowRunResponse(FlowRunBase):
    """A flow run as the flow-run endpoints return it: the queue's pool by name, not the
    queue by id."""

    work_pool_name: Optional[str] = None


class HistoryResponseState(PrefectBaseModel):
    """Runs of one state (type and name) in one history interval."""

    state_type: StateType
    state_name: str
    count_runs: int
    sum_estimated_run_time: Duration
    sum_estimated_lateness: Duration


class HistoryResponse(PrefectBaseModel):
    """One interval of a run history."""

    interval_start: DateTime
    interval_end: DateTime
    states: list[HistoryResponseState]


class SimpleFlowRun(PrefectBaseModel):
    """A flow run as a point of the UI's run-history chart."""

    id: UUID
    state_type: StateType
    timestamp: DateTime
    duration: Duration
    lateness: Duration


class DependencyResult(PrefectBaseModel):
    """A task run of a flow run's graph, with the task runs it consumed."""

    id: UUID
    name: str
    upstream_dependencies: list[TaskRunResult]
    state: Optional[State] = None
    expected_start_time: Optional[DateTime] = None
    start_time: Optional[DateTime] = None
    end_time: Optional[DateTime] = None
    total_run_time: Optional[Duration] = None
    estimated_run_time: Optional[Duration] = None
    untrackable_result: bool


# --- Deployments and work pools ---------------------------------------------------------


class DeploymentResponse(Deployment):
    """A deployment with the name of its work queue's pool."""

    work_pool_name: Optional[str] = None


class WorkerFlowRunResponse(PrefectBaseModel):
    """A scheduled run handed to a worker, with the pool and queue it came from."""

    work_pool_id: UUID
    work_queue_id: UUID
    flow_run: FlowRun
