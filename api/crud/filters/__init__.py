"""Filter objects and sort options turned into ``Q`` / ``Exists`` expressions and orderings.

One ``<name>_q(filter)`` per filter model builds the criteria on that model's own rows,
in the module of what it filters; ``runs`` also has ``RunFilterSet``, the object filters of
one request that the flow, run and deployment readers take.
"""

from api.crud.filters.artifacts import artifact_filter_q, artifacts_q
from api.crud.filters.blocks import (
    block_document_filter_q,
    block_document_related_q,
    block_schema_filter_q,
    block_schemas_of_type_exist_q,
    block_type_filter_q,
)
from api.crud.filters.common import ContainsAll, tags_q
from api.crud.filters.logs import log_filter_q
from api.crud.filters.notifications import flow_run_notification_policy_filter_q
from api.crud.filters.runs import (
    NO_FILTERS,
    RunFilterSet,
    deployment_filter_q,
    deployments_q,
    flow_filter_q,
    flow_run_filter_q,
    flow_runs_q,
    flows_q,
    pinned_state_types,
    task_run_filter_q,
    task_runs_q,
)
from api.crud.filters.sorting import STATE_TYPE_INDEXED_SORTS, order_by
from api.crud.filters.work import work_pool_filter_q, work_queue_filter_q, worker_filter_q

__all__ = [
    "NO_FILTERS",
    "STATE_TYPE_INDEXED_SORTS",
    "ContainsAll",
    "RunFilterSet",
    "artifact_filter_q",
    "artifacts_q",
    "block_document_filter_q",
    "block_document_related_q",
    "block_schema_filter_q",
    "block_schemas_of_type_exist_q",
    "block_type_filter_q",
    "deployment_filter_q",
    "deployments_q",
    "flow_filter_q",
    "flow_run_filter_q",
    "flow_run_notification_policy_filter_q",
    "flow_runs_q",
    "flows_q",
    "log_filter_q",
    "order_by",
    "pinned_state_types",
    "tags_q",
    "task_run_filter_q",
    "task_runs_q",
    "work_pool_filter_q",
    "work_queue_filter_q",
    "worker_filter_q",
]
