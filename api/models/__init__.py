"""Django ORM models of the API, one module per resource, re-exported here."""

from api.models.artifacts import Artifact
from api.models.audit import AuditEvent
from api.models.auth import APIToken
from api.models.blocks import (
    BlockDocument,
    BlockDocumentReference,
    BlockSchema,
    BlockSchemaReference,
    BlockType,
)
from api.models.concurrency_limits import ConcurrencyLimit
from api.models.configuration import Configuration
from api.models.deployments import Deployment
from api.models.flow_run_notification_policies import (
    FlowRunNotificationPolicy,
    FlowRunNotificationQueue,
)
from api.models.flow_runs import FlowRun
from api.models.flows import Flow
from api.models.history import FlowRunHistoryBin, FlowRunHistoryHourBin, TaskRunHistoryBin, TaskRunHistoryHourBin
from api.models.logs import Log
from api.models.monitoring import ServiceHeartbeat
from api.models.saved_searches import SavedSearch
from api.models.service_leases import ServiceLease
from api.models.states import FlowRunState, TaskRunState, TaskRunStateCache
from api.models.task_runs import TaskRun
from api.models.work_pools import Agent, WorkPool, WorkQueue, Worker

__all__ = [
    "APIToken",
    "Agent",
    "AuditEvent",
    "Artifact",
    "BlockDocument",
    "BlockDocumentReference",
    "BlockSchema",
    "BlockSchemaReference",
    "BlockType",
    "ConcurrencyLimit",
    "Configuration",
    "Deployment",
    "Flow",
    "FlowRun",
    "FlowRunHistoryBin",
    "FlowRunHistoryHourBin",
    "FlowRunNotificationPolicy",
    "FlowRunNotificationQueue",
    "FlowRunState",
    "Log",
    "SavedSearch",
    "ServiceHeartbeat",
    "ServiceLease",
    "TaskRun",
    "TaskRunHistoryBin",
    "TaskRunHistoryHourBin",
    "TaskRunState",
    "TaskRunStateCache",
    "WorkPool",
    "WorkQueue",
    "Worker",
]
