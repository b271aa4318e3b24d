"""Resource models as the API returns them (``Flow``, ``FlowRun``, ``BlockType``, ...)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Optional, Self, Union
from uuid import UUID

from pydantic import AliasChoices, ConfigDict, Field, model_validator

from api.schemas.base import DateTime, Duration, Int32, ORMBaseModel, PrefectBaseModel
from api.schemas.schedules import Schedule
from api.schemas.states import State, StateType

# --- Blocks --------------------------------------------------------------------------


class BlockType(ORMBaseModel):
    """A kind of block (``secret``, ``local-file-system``, ...)."""

    name: str
    slug: str
    logo_url: Optional[str] = None
    documentation_url: Optional[str] = None
    description: Optional[str] = None
    code_example: Optional[str] = None
    is_protected: bool = False


class BlockSchema(ORMBaseModel):
    """One version of a block type's JSON schema, with its type embedded."""

    checksum: str
    fields: dict[str, Any] = Field(default_factory=dict)
    block_type_id: Optional[UUID] = None
    block_type: Optional[BlockType] = None
    capabilities: list[str] = Field(default_factory=list)
    version: str = "non-versioned"


class BlockDocument(ORMBaseModel):
    """A saved block: decrypted data (secrets obfuscated unless asked for), with its
    schema (and the schema's type) and type embedded, and nested documents inlined."""

    name: Optional[str] = None
    data: dict[str, Any] = Field(default_factory=dict)
    block_schema_id: UUID
    block_schema: Optional[BlockSchema] = None
    block_type_id: UUID
    block_type: Optional[BlockType] = None
    block_document_references: dict[str, dict[str, Any]] = Field(default_factory=dict)
    is_anonymous: bool = False


class BlockDocumentReference(ORMBaseModel):
    """A nested saved block: field ``name`` of the parent is the referenced document."""

    parent_block_document_id: UUID
    reference_block_document_id: UUID
    name: str


# --- Flows, runs and what hangs off them ---------------------------------------------


class CreatedBy(PrefectBaseModel):
    """Who created a run or deployment (a user, a deployment, the scheduler...)."""

    id: Optional[UUID] = None
    type: Optional[str] = None
    display_value: Optional[str] = None


class Flow(ORMBaseModel):
    """A flow: runs and deployments hang off it."""

    name: str
    tags: list[str] = Field(default_factory=list)


# Retry delays become whole seconds added to "now": held to the 32-bit range like retries.
RetryDelaySeconds = Annotated[float, Field(ge=-(2**31), le=2**31 - 1)]


class _RetryPolicy(PrefectBaseModel):
    """The retry settings of flow and task runs; each adds its own ``retry_delay``."""

    max_retries: Int32 = 0
    retry_delay_seconds: RetryDelaySeconds = 0
    retries: Optional[Int32] = None

    @model_validator(mode="after")
    def _fill_from_deprecated(self) -> Self:
        # Old clients only send max_retries / retry_delay_seconds.
        if not self.retries and self.max_retries != 0:
            self.retries = self.max_retries
        if not self.retry_delay and self.retry_delay_seconds != 0:
            self.retry_delay = int(self.retry_delay_seconds)
        return self


class FlowRunPolicy(_RetryPolicy):
    """Retry and pause bookkeeping of a flow run."""

    retry_delay: Optional[Int32] = None
    pause_keys: Optional[set[str]] = Field(default_factory=set)
    resuming: Optional[bool] = False


NonNegativeInt = Annotated[Int32, Field(ge=0)]


class TaskRunPolicy(_RetryPolicy):
    """Retry settings of a task run."""

    retry_delay: Union[None, NonNegativeInt, Annotated[list[NonNegativeInt], Field(max_length=50)]] = None
    retry_jitter_factor: Optional[Annotated[float, Field(ge=0.0)]] = None


class TaskRunResult(PrefectBaseModel):
    """A task input that is the result of another task run."""

    input_type: Literal["task_run"] = "task_run"
    id: UUID


class Parameter(PrefectBaseModel):
    """A task input that is a flow parameter."""

    input_type: Literal["parameter"] = "parameter"
    name: str


class Constant(PrefectBaseModel):
    """A task input that is a constant of some type."""

    input_type: Literal["constant"] = "constant"
    type: str


TaskInput = Annotated[Union[TaskRunResult, Parameter, Constant], Field(discriminator="input_type")]


class RunBase(ORMBaseModel):
    """State pointers and timing columns shared by flow runs and task runs."""

    name: str
    state_id: Optional[UUID] = None
    state_type: Optional[StateType] = None
    state_name: Optional[str] = None
    run_count: int = 0
    expected_start_time: Optional[DateTime] = None
    next_scheduled_start_time: Optional[DateTime] = None
    start_time: Optional[DateTime] = None
    end_time: Optional[DateTime] = None
    total_run_time: Duration = dt.timedelta(0)
    estimated_run_time: Duration = dt.timedelta(0)
    estimated_start_time_delta: Duration = dt.timedelta(0)
    tags: list[str] = Field(default_factory=list)
    state: Optional[State] = None


class FlowRunBase(RunBase):
    """Flow run fields common to the stored shape and the API's ``FlowRunResponse``."""

    flow_id: UUID
    deployment_id: Optional[UUID] = None
    work_queue_name: Optional[str] = None
    flow_version: Optional[str] = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: Optional[str] = None
    context: dict[str, Any] = Field(default_factory=dict)
    empirical_policy: FlowRunPolicy = Field(default_factory=FlowRunPolicy)
    parent_task_run_id: Optional[UUID] = None
    auto_scheduled: bool = False
    infrastructure_document_id: Optional[UUID] = None
    infrastructure_pid: Optional[str] = None
    created_by: Optional[CreatedBy] = None


class FlowRun(FlowRunBase):
    """A flow run as stored (the work-pool endpoints return this shape)."""

    work_queue_id: Optional[UUID] = None


class TaskRun(RunBase):
    """A task run."""

    flow_run_id: UUID
    task_key: str
    dynamic_key: str
    cache_key: Optional[str] = None
    cache_expiration: Optional[DateTime] = None
    task_version: Optional[str] = None
    empirical_policy: TaskRunPolicy = Field(default_factory=TaskRunPolicy)
    task_inputs: dict[str, list[TaskInput]] = Field(default_factory=dict)
    flow_run_run_count: int = 0


class ConcurrencyLimit(ORMBaseModel):
    """At most ``concurrency_limit`` running task runs may carry ``tag``."""

    tag: str
    concurrency_limit: int
    active_slots: list[UUID] = Field(default_factory=list)


class Log(ORMBaseModel):
    """One log line of a flow run (or one of its task runs)."""

    name: str
    level: int
    message: str
    timestamp: DateTime
    flow_run_id: UUID
    task_run_id: Optional[UUID] = None


class SavedSearchFilter(PrefectBaseModel):
    """One UI filter of a saved search."""

    object: str
    property: str
    type: str
    operation: str
    value: Any


class SavedSearch(ORMBaseModel):
    """A named list of UI filters."""

    name: str
    filters: list[SavedSearchFilter] = Field(default_factory=list)


# --- Deployments, work pools and queues ----------------------------------------------


class UpdatedBy(CreatedBy):
    """Who last updated a row."""


class Deployment(ORMBaseModel):
    """A flow packaged to run on a schedule or on demand."""

    name: str
    version: Optional[str] = None
    description: Optional[str] = None
    flow_id: UUID
    schedule: Optional[Schedule] = None
    is_schedule_active: bool = True
    infra_overrides: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    work_queue_name: Optional[str] = None
    parameter_openapi_schema: Optional[dict[str, Any]] = None
    path: Optional[str] = None
    entrypoint: Optional[str] = None
    manifest_path: Optional[str] = None
    storage_document_id: Optional[UUID] = None
    infrastructure_document_id: Optional[UUID] = None
    created_by: Optional[CreatedBy] = None
    updated_by: Optional[UpdatedBy] = None


class QueueFilter(PrefectBaseModel):
    """The legacy tag-based selection of a work queue (deprecated but still honoured)."""

    model_config = ConfigDict(extra="forbid")

    tags: Optional[list[str]] = None
    deployment_ids: Optional[list[UUID]] = None


class WorkQueue(ORMBaseModel):
    """A queue of scheduled runs inside a work pool."""

    name: str
    description: Optional[str] = ""
    is_paused: bool = False
    concurrency_limit: Optional[int] = None
    priority: int = 1
    work_pool_id: Optional[UUID] = None
    filter: Optional[QueueFilter] = None
    last_polled: Optional[DateTime] = None


class WorkQueueHealthPolicy(PrefectBaseModel):
    """When a work queue counts as healthy."""

    maximum_late_runs: Optional[int] = 0
    maximum_seconds_since_last_polled: Optional[int] = 60

    def evaluate_health_status(self, late_runs_count: int, last_polled: Optional[dt.datetime]) -> bool:
        """Healthy: few enough late runs and polled recently enough (each bound optional)."""
        healthy = True
        if self.maximum_late_runs is not None and late_runs_count > self.maximum_late_runs:
            healthy = False
        if self.maximum_seconds_since_last_polled is not None:
            limit = dt.timedelta(seconds=self.maximum_seconds_since_last_polled)
            if last_polled is None or dt.datetime.now(dt.timezone.utc) - last_polled > limit:
                healthy = False
        return healthy


class WorkQueueStatusDetail(PrefectBaseModel):
    """``GET /work_queues/{id}/status``."""

    healthy: bool
    late_runs_count: int = 0
    last_polled: Optional[DateTime] = None
    health_check_policy: WorkQueueHealthPolicy


class WorkPool(ORMBaseModel):
    """A pool of work queues served by workers of one type."""

    name: str
    description: Optional[str] = None
    type: str
    base_job_template: dict[str, Any] = Field(default_factory=dict)
    is_paused: bool = False
    concurrency_limit: Optional[int] = None
    default_queue_id: Optional[UUID] = None


class Worker(ORMBaseModel):
    """A worker that heartbeats into a pool."""

    name: str
    work_pool_id: UUID
    last_heartbeat_time: Optional[DateTime] = None


# --- Artifacts and notification policies ----------------------------------------------


class Artifact(ORMBaseModel):
    """A result or user artifact (``metadata_`` on the wire, ``metadata`` in the table)."""

    key: Optional[str] = None
    type: Optional[str] = None
    description: Optional[str] = None
    data: Optional[Any] = None
    metadata_: Optional[dict[str, str]] = Field(
        default=None, validation_alias=AliasChoices("metadata_", "metadata")
    )
    flow_run_id: Optional[UUID] = None
    task_run_id: Optional[UUID] = None


class FlowRunNotificationPolicy(ORMBaseModel):
    """Notify through a block when a flow run enters one of ``state_names``."""

    is_active: bool = True
    state_names: list[str]
    tags: list[str]
    block_document_id: UUID
    message_template: Optional[str] = None
