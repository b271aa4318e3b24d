"""Filter objects of the ``/filter`` and ``/count`` bodies: unknown keys are a 422 at
every level; absent criteria constrain nothing."""

from __future__ import annotations

import enum
from typing import Optional
from uuid import UUID

from pydantic import Field

from api.schemas.base import DateTime, FilterBaseModel, Int64
from api.schemas.states import StateType


class Operator(str, enum.Enum):
    """How a filter combines its own criteria."""

    and_ = "and_"
    or_ = "or_"


# --- Blocks --------------------------------------------------------------------------


class BlockTypeFilterName(FilterBaseModel):
    """``like_``: case-insensitive substring of the block type name."""

    like_: Optional[str] = None


class BlockTypeFilterSlug(FilterBaseModel):
    """``any_``: the block type slug is one of these."""

    any_: Optional[list[str]] = None


class BlockTypeFilter(FilterBaseModel):
    """Block types by name and slug (criteria always AND-ed)."""

    name: Optional[BlockTypeFilterName] = None
    slug: Optional[BlockTypeFilterSlug] = None


class BlockSchemaFilterBlockTypeId(FilterBaseModel):
    """``any_``: the schema belongs to one of these block types."""

    any_: Optional[list[UUID]] = None


class BlockSchemaFilterCapabilities(FilterBaseModel):
    """``all_``: the schema has every one of these capabilities."""

    all_: Optional[list[str]] = None


class BlockSchemaFilterId(FilterBaseModel):
    """``any_``: the schema id is one of these."""

    any_: Optional[list[UUID]] = None


class BlockSchemaFilterVersion(FilterBaseModel):
    """``any_``: the schema version is one of these."""

    any_: Optional[list[str]] = None


class BlockSchemaFilter(FilterBaseModel):
    """Block schemas by type, capabilities, id and version."""

    operator: Operator = Operator.and_
    block_type_id: Optional[BlockSchemaFilterBlockTypeId] = None
    block_capabilities: Optional[BlockSchemaFilterCapabilities] = None
    id: Optional[BlockSchemaFilterId] = None
    version: Optional[BlockSchemaFilterVersion] = None


class BlockDocumentFilterId(FilterBaseModel):
    """``any_``: the document id is one of these."""

    any_: Optional[list[UUID]] = None


class BlockDocumentFilterIsAnonymous(FilterBaseModel):
    """``eq_``: the document is (or is not) anonymous."""

    eq_: Optional[bool] = None


class BlockDocumentFilterBlockTypeId(FilterBaseModel):
    """``any_``: the document's block type is one of these."""

    any_: Optional[list[UUID]] = None


class BlockDocumentFilterName(FilterBaseModel):
    """``any_``: the document name is one of these."""

    any_: Optional[list[str]] = None


class BlockDocumentFilter(FilterBaseModel):
    """Block documents; anonymous ones are hidden unless ``is_anonymous`` says otherwise.

    An explicit ``"is_anonymous": null`` lifts the default and shows every document.
    """

    operator: Operator = Operator.and_
    id: Optional[BlockDocumentFilterId] = None
    is_anonymous: Optional[BlockDocumentFilterIsAnonymous] = Field(
        default_factory=lambda: BlockDocumentFilterIsAnonymous(eq_=False)
    )
    block_type_id: Optional[BlockDocumentFilterBlockTypeId] = None
    name: Optional[BlockDocumentFilterName] = None

    nullable_fields = frozenset({"is_anonymous"})


# --- Flows, runs, deployments, work pools and queues, logs ---------------------------
# Small criteria shared by several filters; each filter names its own fields.


class IdAny(FilterBaseModel):
    """``any_``: the id is one of these."""

    any_: Optional[list[UUID]] = None


class IdAnyNotAny(FilterBaseModel):
    """``any_``: the id is one of these; ``not_any_``: it is none of these."""

    any_: Optional[list[UUID]] = None
    not_any_: Optional[list[UUID]] = None


class IdAnyIsNull(FilterBaseModel):
    """``any_``: the (nullable) id is one of these; ``is_null_``: it is (not) null."""

    operator: Operator = Operator.and_
    any_: Optional[list[UUID]] = None
    is_null_: Optional[bool] = None


class StrAny(FilterBaseModel):
    """``any_``: the value is one of these."""

    any_: Optional[list[str]] = None


class StrAnyIsNull(FilterBaseModel):
    """``any_``: the (nullable) value is one of these; ``is_null_``: it is (not) null."""

    operator: Operator = Operator.and_
    any_: Optional[list[str]] = None
    is_null_: Optional[bool] = None


class NameAnyLike(FilterBaseModel):
    """``any_``: the name is one of these; ``like_``: it contains this (any case)."""

    any_: Optional[list[str]] = None
    like_: Optional[str] = None


class NameAnyStartswith(FilterBaseModel):
    """``any_``: the name is one of these; ``startswith_``: it starts with one of these
    (any case)."""

    any_: Optional[list[str]] = None
    startswith_: Optional[list[str]] = None


class Tags(FilterBaseModel):
    """``all_``: the row carries every one of these tags; ``is_null_``: it has no tags."""

    operator: Operator = Operator.and_
    all_: Optional[list[str]] = None
    is_null_: Optional[bool] = None


class StateTypeAny(FilterBaseModel):
    """``any_``: the state type is one of these."""

    any_: Optional[list[StateType]] = None


class RunState(FilterBaseModel):
    """The run's current state by type and/or name."""

    operator: Operator = Operator.and_
    type: Optional[StateTypeAny] = None
    name: Optional[StrAny] = None


class TimeRange(FilterBaseModel):
    """``before_``: at or before this time; ``after_``: at or after it."""

    before_: Optional[DateTime] = None
    after_: Optional[DateTime] = None


class TimeRangeIsNull(TimeRange):
    """A time range; ``is_null_``: the time is (not) set."""

    is_null_: Optional[bool] = None


class BoolEq(FilterBaseModel):
    """``eq_``: the flag has this value."""

    eq_: Optional[bool] = None


class SubflowRunsExists(FilterBaseModel):
    """``exists_``: some flow run is (or no flow run is) a subflow of this task run."""

    exists_: Optional[bool] = None


class LevelRange(FilterBaseModel):
    """``ge_``: level at least this; ``le_``: level at most this."""

    ge_: Optional[Int64] = None
    le_: Optional[Int64] = None


class FlowFilter(FilterBaseModel):
    """Flows by id, name and tags."""

    operator: Operator = Operator.and_
    id: Optional[IdAny] = None
    name: Optional[NameAnyLike] = None
    tags: Optional[Tags] = None


class FlowRunFilter(FilterBaseModel):
    """Flow runs by their own columns and current state."""

    operator: Operator = Operator.and_
    id: Optional[IdAnyNotAny] = None
    name: Optional[NameAnyLike] = None
    tags: Optional[Tags] = None
    deployment_id: Optional[IdAnyIsNull] = None
    work_queue_name: Optional[StrAnyIsNull] = None
    state: Optional[RunState] = None
    flow_version: Optional[StrAny] = None
    start_time: Optional[TimeRangeIsNull] = None
    expected_start_time: Optional[TimeRange] = None
    next_scheduled_start_time: Optional[TimeRange] = None
    parent_task_run_id: Optional[IdAnyIsNull] = None


class TaskRunFilter(FilterBaseModel):
    """Task runs by their own columns, current state and subflows."""

    operator: Operator = Operator.and_
    id: Optional[IdAny] = None
    name: Optional[NameAnyLike] = None
    tags: Optional[Tags] = None
    state: Optional[RunState] = None
    start_time: Optional[TimeRangeIsNull] = None
    subflow_runs: Optional[SubflowRunsExists] = None


class DeploymentFilter(FilterBaseModel):
    """Deployments by id, name, schedule activity, tags and work queue name."""

    operator: Operator = Operator.and_
    id: Optional[IdAny] = None
    name: Optional[NameAnyLike] = None
    is_schedule_active: Optional[BoolEq] = None
    tags: Optional[Tags] = None
    work_queue_name: Optional[StrAny] = None


class WorkPoolFilter(FilterBaseModel):
    """Work pools by id, name and type."""

    operator: Operator = Operator.and_
    id: Optional[IdAny] = None
    name: Optional[StrAny] = None
    type: Optional[StrAny] = None


class WorkQueueFilter(FilterBaseModel):
    """Work queues by id and name."""

    operator: Operator = Operator.and_
    id: Optional[IdAny] = None
    name: Optional[NameAnyStartswith] = None


class LogFilter(FilterBaseModel):
    """Log lines by level, time and run."""

    operator: Operator = Operator.and_
    level: Optional[LevelRange] = None
    timestamp: Optional[TimeRange] = None
    flow_run_id: Optional[IdAny] = None
    task_run_id: Optional[IdAny] = None


# --- Workers, artifacts, notification policies -------------------------------------


class WorkerFilter(FilterBaseModel):
    """Workers by last heartbeat."""

    operator: Operator = Operator.and_
    last_heartbeat_time: Optional[TimeRange] = None


class ArtifactFilter(FilterBaseModel):
    """Artifacts by id, key and run."""

    operator: Operator = Operator.and_
    id: Optional[IdAny] = None
    key: Optional[NameAnyLike] = None
    flow_run_id: Optional[IdAny] = None
    task_run_id: Optional[IdAny] = None


class FlowRunNotificationPolicyFilter(FilterBaseModel):
    """Notification policies by ``is_active``.

    The default is ``{"eq_": false}``, as in the original: sending ``{}`` lists only
    inactive policies, while omitting the filter lists all of them.
    """

    is_active: Optional[BoolEq] = Field(default_factory=lambda: BoolEq(eq_=False))

    # An explicit ``"is_active": null`` lifts the default and matches every policy.
    nullable_fields = frozenset({"is_active"})
