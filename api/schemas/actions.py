"""Create and update bodies (``*Create`` / ``*Update``): unknown keys are a 422."""

from __future__ import annotations

import re
from typing import Annotated, Any, Optional
from uuid import UUID

from pydantic import AfterValidator, Field, HttpUrl, TypeAdapter, field_validator, model_validator
from pydantic_core import PydanticCustomError

from api.schemas.base import ActionBaseModel, DateTime, IndexedText, Int32, LimitConfig, SmallInt, check_text_bytes
from api.schemas.core import FlowRunPolicy, QueueFilter, SavedSearchFilter, TaskInput, TaskRunPolicy
from api.schemas.schedules import Schedule
from api.schemas.states import StateCreate

# --- Blocks --------------------------------------------------------------------------

BANNED_NAME_CHARACTERS = ["/", "%", "&", ">", "<"]
_LOWERCASE_DASHES = re.compile(r"^[a-z0-9-]*$")
_HTTP_URL = TypeAdapter(HttpUrl)


def check_name_characters(value: str) -> str:
    """Refuse names containing a character that breaks URLs (``/ % & > <``)."""
    if any(character in value for character in BANNED_NAME_CHARACTERS):
        # Formatted here, without context, so the error carries no ``ctx`` (as in v1).
        raise PydanticCustomError(
            "value_error.invalidname",
            f"Name {value!r} contains an invalid character. "
            f"Must not contain any of: {BANNED_NAME_CHARACTERS}.",
        )
    return value


def check_lowercase_dashes(value: Optional[str], field_label: str) -> Optional[str]:
    """Refuse values other than lowercase letters, digits and dashes (slugs, block names)."""
    if value is not None and not _LOWERCASE_DASHES.match(value):
        raise PydanticCustomError(
            "value_error", f"{field_label} must only contain lowercase letters, numbers, and dashes."
        )
    return value


def _check_http_url(value: str) -> str:
    # Validated as an http(s) URL but kept as sent: pydantic v2 would normalise it.
    _HTTP_URL.validate_python(value)
    return value


BlockURL = Annotated[str, Field(min_length=1, max_length=2083), AfterValidator(_check_http_url)]


class BlockTypeCreate(ActionBaseModel):
    """Body of ``POST /block_types/``."""

    name: Annotated[IndexedText, AfterValidator(check_name_characters)]
    slug: IndexedText
    logo_url: Optional[BlockURL] = None
    documentation_url: Optional[BlockURL] = None
    description: Optional[str] = None
    code_example: Optional[str] = None

    @field_validator("slug")
    @classmethod
    def _slug_format(cls, value: str) -> str:
        return check_lowercase_dashes(value, "Block type slug") or ""


class BlockTypeUpdate(ActionBaseModel):
    """Body of ``PATCH /block_types/{id}``: only the keys sent are changed."""

    logo_url: Optional[BlockURL] = None
    documentation_url: Optional[BlockURL] = None
    description: Optional[str] = None
    code_example: Optional[str] = None


class BlockSchemaCreate(ActionBaseModel):
    """Body of ``POST /block_schemas/`` (the checksum is computed by the server)."""

    fields: dict[str, Any] = Field(default_factory=dict)
    block_type_id: UUID
    capabilities: list[str] = Field(default_factory=list)
    version: IndexedText = "non-versioned"


class BlockDocumentCreate(ActionBaseModel):
    """Body of ``POST /block_documents/``; anonymous documents may omit their name."""

    name: Optional[IndexedText] = None
    data: dict[str, Any] = Field(default_factory=dict)
    block_schema_id: UUID
    block_type_id: UUID
    is_anonymous: bool = False

    @field_validator("name")
    @classmethod
    def _name_format(cls, value: Optional[str]) -> Optional[str]:
        return check_lowercase_dashes(value, "Block document name")

    @model_validator(mode="after")
    def _named_unless_anonymous(self) -> "BlockDocumentCreate":
        if not self.is_anonymous and not self.name:
            raise PydanticCustomError("value_error", "Names must be provided for block documents.")
        return self


class BlockDocumentUpdate(ActionBaseModel):
    """Body of ``PATCH /block_documents/{id}``: merge into (or replace) the stored data."""

    block_schema_id: Optional[UUID] = None
    data: dict[str, Any] = Field(default_factory=dict)
    merge_existing_data: bool = True


# --- Flows, runs, logs, concurrency limits, saved searches -------------------------

FlowName = Annotated[IndexedText, AfterValidator(check_name_characters)]


class FlowCreate(ActionBaseModel):
    """Body of ``POST /flows/``."""

    name: FlowName
    tags: list[str] = Field(default_factory=list)


class FlowUpdate(ActionBaseModel):
    """Body of ``PATCH /flows/{id}``."""

    tags: Optional[list[str]] = None


class FlowRunCreate(ActionBaseModel):
    """Body of ``POST /flow_runs/``; without a name the server picks one."""

    state: Optional[StateCreate] = None
    name: Optional[IndexedText] = None
    flow_id: UUID
    deployment_id: Optional[UUID] = None
    flow_version: Optional[IndexedText] = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    parent_task_run_id: Optional[UUID] = None
    infrastructure_document_id: Optional[UUID] = None
    empirical_policy: FlowRunPolicy = Field(default_factory=FlowRunPolicy)
    tags: list[str] = Field(default_factory=list)
    idempotency_key: Optional[IndexedText] = None


class FlowRunUpdate(ActionBaseModel):
    """Body of ``PATCH /flow_runs/{id}``: only the keys sent are written."""

    name: Optional[IndexedText] = None
    flow_version: Optional[IndexedText] = None
    parameters: Optional[dict[str, Any]] = None
    empirical_policy: Optional[FlowRunPolicy] = None
    tags: Optional[list[str]] = None
    infrastructure_pid: Optional[str] = None


CACHE_KEY_MAX_BYTES = 2600


def _check_cache_key_length(value: Optional[str]) -> Optional[str]:
    limit = LimitConfig.cache_key_max_length
    if value is not None and len(value) > limit:
        raise PydanticCustomError(
            "value_error", f"Cache key exceeded maximum allowed length of {limit} characters."
        )
    # The cache-key index holds one key per entry: the b-tree bound, whatever the setting.
    return check_text_bytes(value, CACHE_KEY_MAX_BYTES) if value is not None else None


class TaskRunCreate(ActionBaseModel):
    """Body of ``POST /task_runs/``; (flow_run_id, task_key, dynamic_key) identifies the run."""

    state: Optional[StateCreate] = None
    name: Optional[IndexedText] = None
    flow_run_id: UUID
    task_key: IndexedText
    dynamic_key: IndexedText
    cache_key: Annotated[Optional[str], AfterValidator(_check_cache_key_length)] = None
    cache_expiration: Optional[DateTime] = None
    task_version: Optional[str] = None
    empirical_policy: TaskRunPolicy = Field(default_factory=TaskRunPolicy)
    tags: list[str] = Field(default_factory=list)
    task_inputs: dict[str, list[TaskInput]] = Field(default_factory=dict)


class TaskRunUpdate(ActionBaseModel):
    """Body of ``PATCH /task_runs/{id}``."""

    name: Optional[IndexedText] = None


class LogCreate(ActionBaseModel):
    """One element of the ``POST /logs/`` array."""

    name: str
    level: SmallInt
    message: str
    timestamp: DateTime
    flow_run_id: UUID
    task_run_id: Optional[UUID] = None


class ConcurrencyLimitCreate(ActionBaseModel):
    """Body of ``POST /concurrency_limits/`` (an upsert by tag)."""

    tag: IndexedText
    concurrency_limit: Int32


class SavedSearchCreate(ActionBaseModel):
    """Body of ``PUT /saved_searches/`` (an upsert by name)."""

    name: IndexedText
    filters: list[SavedSearchFilter] = Field(default_factory=list)


# --- Deployments, work pools and queues, artifacts, notification policies -------------


# Keys older clients send that the server drops instead of refusing.
_LEGACY_DEPLOYMENT_KEYS = ("worker_pool_queue_id", "worker_pool_name", "worker_pool_queue_name", "work_pool_queue_name")


def _drop_legacy_deployment_keys(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: value for key, value in data.items() if key not in _LEGACY_DEPLOYMENT_KEYS}
    return data


class DeploymentCreate(ActionBaseModel):
    """Body of ``POST /deployments/`` (an upsert on flow and name)."""

    name: FlowName
    flow_id: UUID
    is_schedule_active: bool = True
    parameters: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    manifest_path: Optional[str] = None
    work_queue_name: Optional[IndexedText] = None
    work_pool_name: Optional[str] = None
    storage_document_id: Optional[UUID] = None
    infrastructure_document_id: Optional[UUID] = None
    schedule: Optional[Schedule] = None
    description: Optional[str] = None
    parameter_openapi_schema: Optional[dict[str, Any]] = None
    path: Optional[str] = None
    version: Optional[str] = None
    entrypoint: Optional[str] = None
    infra_overrides: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _legacy_keys(cls, data: Any) -> Any:
        return _drop_legacy_deployment_keys(data)


class DeploymentUpdate(ActionBaseModel):
    """Body of ``PATCH /deployments/{id}``: only the keys sent are written."""

    nullable_fields = frozenset(
        {
            "version",
            "schedule",
            "description",
            "work_queue_name",
            "work_pool_name",
            "path",
            "entrypoint",
            "manifest_path",
            "storage_document_id",
            "infrastructure_document_id",
        }
    )

    version: Optional[str] = None
    schedule: Optional[Schedule] = None
    description: Optional[str] = None
    is_schedule_active: bool = True
    parameters: Optional[dict[str, Any]] = None
    tags: Optional[list[str]] = None
    work_queue_name: Optional[IndexedText] = None
    work_pool_name: Optional[str] = None
    path: Optional[str] = None
    infra_overrides: Optional[dict[str, Any]] = None
    entrypoint: Optional[str] = None
    manifest_path: Optional[str] = None
    storage_document_id: Optional[UUID] = None
    infrastructure_document_id: Optional[UUID] = None

    @model_validator(mode="before")
    @classmethod
    def _legacy_keys(cls, data: Any) -> Any:
        return _drop_legacy_deployment_keys(data)


class DeploymentFlowRunCreate(ActionBaseModel):
    """Body of ``POST /deployments/{id}/create_flow_run``."""

    state: Optional[StateCreate] = None
    name: Optional[IndexedText] = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    infrastructure_document_id: Optional[UUID] = None
    empirical_policy: FlowRunPolicy = Field(default_factory=FlowRunPolicy)
    tags: list[str] = Field(default_factory=list)
    idempotency_key: Optional[IndexedText] = None
    parent_task_run_id: Optional[UUID] = None


NonNegativeLimit = Annotated[Int32, Field(ge=0)]


class WorkQueueCreate(ActionBaseModel):
    """Body of ``POST /work_queues/`` and ``POST /work_pools/{pool}/queues``."""

    name: FlowName
    description: Optional[str] = ""
    is_paused: bool = False
    concurrency_limit: Optional[NonNegativeLimit] = None
    priority: Optional[Annotated[Int32, Field(ge=1)]] = None
    filter: Optional[QueueFilter] = None


class WorkQueueUpdate(ActionBaseModel):
    """Body of ``PATCH`` on a work queue: only the keys sent are written."""

    nullable_fields = frozenset({"concurrency_limit", "last_polled", "filter"})

    name: Optional[FlowName] = None
    description: Optional[str] = None
    is_paused: bool = False
    concurrency_limit: Optional[NonNegativeLimit] = None
    priority: Optional[Annotated[Int32, Field(ge=1)]] = None
    last_polled: Optional[DateTime] = None
    filter: Optional[QueueFilter] = None


_PLACEHOLDER = re.compile(r"\{\{\s*([\w.-]+)\s*\}\}")


def _placeholders(value: Any) -> set[str]:
    """The ``{{ name }}`` placeholders used anywhere inside a job configuration."""
    if isinstance(value, str):
        return set(_PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return set().union(*(_placeholders(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_placeholders(item) for item in value))
    return set()


def check_base_job_template(value: dict[str, Any]) -> dict[str, Any]:
    """A job template is ``{}`` or a job configuration whose placeholders are all declared
    as properties of its ``variables`` JSON schema."""
    if value == {}:
        return value
    job_configuration = value.get("job_configuration")
    variables = value.get("variables")
    if not (job_configuration and variables):
        raise ValueError(
            "The `base_job_template` must contain both a `job_configuration` key and a "
            "`variables` key."
        )
    declared = set((variables.get("properties") or {}) if isinstance(variables, dict) else {})
    missing = _placeholders(job_configuration) - declared
    if missing:
        raise ValueError(
            "The variables specified in the job configuration template must be present as "
            "properties in the variables schema. Your job configuration uses the following "
            f"undeclared variable(s): {', '.join(sorted(missing))}."
        )
    return value


BaseJobTemplate = Annotated[dict[str, Any], AfterValidator(check_base_job_template)]


class WorkPoolCreate(ActionBaseModel):
    """Body of ``POST /work_pools/``."""

    name: FlowName
    description: Optional[str] = None
    type: str = "prefect-agent"
    base_job_template: BaseJobTemplate = Field(default_factory=dict)
    is_paused: bool = False
    concurrency_limit: Optional[NonNegativeLimit] = None


class WorkPoolUpdate(ActionBaseModel):
    """Body of ``PATCH /work_pools/{name}``: only the keys sent are written."""

    nullable_fields = frozenset({"description", "concurrency_limit"})

    description: Optional[str] = None
    is_paused: bool = False
    base_job_template: Optional[BaseJobTemplate] = None
    concurrency_limit: Optional[NonNegativeLimit] = None


METADATA_VALUE_MAX_LENGTH = 500


def _truncate_metadata(value: Optional[dict[str, str]]) -> Optional[dict[str, str]]:
    # Long values are kept, shortened, rather than refused.
    if value is None:
        return None
    return {
        key: item if len(item) <= METADATA_VALUE_MAX_LENGTH else item[:METADATA_VALUE_MAX_LENGTH] + "..."
        for key, item in value.items()
    }


ArtifactMetadata = Annotated[Optional[dict[str, str]], AfterValidator(_truncate_metadata)]


def _artifact_key(value: Optional[str]) -> Optional[str]:
    return check_lowercase_dashes(value, "Artifact key")


class ArtifactCreate(ActionBaseModel):
    """Body of ``POST /experimental/artifacts/``."""

    key: Annotated[Optional[IndexedText], AfterValidator(_artifact_key)] = None
    type: Optional[str] = None
    description: Optional[str] = None
    data: Optional[Any] = None
    metadata_: ArtifactMetadata = None
    flow_run_id: Optional[UUID] = None
    task_run_id: Optional[UUID] = None


class ArtifactUpdate(ActionBaseModel):
    """Body of ``PATCH /experimental/artifacts/{id}``."""

    nullable_fields = frozenset({"data", "description", "metadata_"})

    data: Optional[Any] = None
    description: Optional[str] = None
    metadata_: ArtifactMetadata = None


# The variables a notification message template may use.
NOTIFICATION_TEMPLATE_VARIABLES = (
    "flow_run_notification_policy_id",
    "flow_id",
    "flow_name",
    "flow_run_url",
    "flow_run_id",
    "flow_run_name",
    "flow_run_parameters",
    "flow_run_state_type",
    "flow_run_state_name",
    "flow_run_state_timestamp",
    "flow_run_state_message",
)


def check_message_template(value: Optional[str]) -> Optional[str]:
    """Refuse a template naming a variable the notifier does not provide."""
    if value is not None:
        try:
            value.format(**{name: "test" for name in NOTIFICATION_TEMPLATE_VARIABLES})
        except KeyError as exc:
            raise ValueError(f"Invalid template variable provided: '{exc.args[0]}'") from None
    return value


MessageTemplate = Annotated[Optional[str], AfterValidator(check_message_template)]


class FlowRunNotificationPolicyCreate(ActionBaseModel):
    """Body of ``POST /flow_run_notification_policies/``."""

    is_active: bool = True
    state_names: list[str]
    tags: list[str]
    block_document_id: UUID
    message_template: MessageTemplate = None


class FlowRunNotificationPolicyUpdate(ActionBaseModel):
    """Body of ``PATCH /flow_run_notification_policies/{id}``."""

    nullable_fields = frozenset({"message_template"})

    is_active: Optional[bool] = None
    state_names: Optional[list[str]] = None
    tags: Optional[list[str]] = None
    block_document_id: Optional[UUID] = None
    message_template: MessageTemplate = None
