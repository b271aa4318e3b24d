"""Which access each API operation needs: one row per ``METHOD path`` the API serves.

Reads are ``GET`` plus the read-only ``POST`` endpoints (``*/filter``, ``*/count``,
``*/history``, ``/ui/*``); everything else that changes data is a write; ``/api/admin/*``
is for admins. ``GET /api/health``, ``GET /api/version`` and ``GET /api/ready`` are public. The guard
(``api.auth.middleware``) looks operations up here before any view runs, and
``tests/api/test_permissions.py`` walks all 115 operations of Prefect 2.8.7 against it.
Agents' and workers' polling calls (``get_runs``, ``get_scheduled_flow_runs``,
``heartbeat``) record that the poller was seen, so they are writes.
"""

from __future__ import annotations

from api.auth.roles import Access

PUBLIC, ACCOUNT, READ, WRITE, ADMIN = Access.PUBLIC, Access.ACCOUNT, Access.READ, Access.WRITE, Access.ADMIN

OPERATIONS: dict[str, Access] = {
    "POST /api/admin/database/clear": ADMIN,
    "POST /api/admin/database/create": ADMIN,
    "POST /api/admin/database/drop": ADMIN,
    "GET /api/admin/settings": ADMIN,
    "GET /api/admin/version": ADMIN,
    "GET /api/block_capabilities/": READ,
    "POST /api/block_documents/": WRITE,
    "POST /api/block_documents/filter": READ,
    "DELETE /api/block_documents/{id}": WRITE,
    "GET /api/block_documents/{id}": READ,
    "PATCH /api/block_documents/{id}": WRITE,
    "POST /api/block_schemas/": WRITE,
    "GET /api/block_schemas/checksum/{checksum}": READ,
    "POST /api/block_schemas/filter": READ,
    "DELETE /api/block_schemas/{id}": WRITE,
    "GET /api/block_schemas/{id}": READ,
    "POST /api/block_types/": WRITE,
    "POST /api/block_types/filter": READ,
    "POST /api/block_types/install_system_block_types": WRITE,
    "GET /api/block_types/slug/{slug}": READ,
    "GET /api/block_types/slug/{slug}/block_documents": READ,
    "GET /api/block_types/slug/{slug}/block_documents/name/{block_document_name}": READ,
    "DELETE /api/block_types/{id}": WRITE,
    "GET /api/block_types/{id}": READ,
    "PATCH /api/block_types/{id}": WRITE,
    "GET /api/collections/views/{view}": READ,
    "POST /api/concurrency_limits/": WRITE,
    "POST /api/concurrency_limits/filter": READ,
    "DELETE /api/concurrency_limits/tag/{tag}": WRITE,
    "GET /api/concurrency_limits/tag/{tag}": READ,
    "POST /api/concurrency_limits/tag/{tag}/reset": WRITE,
    "DELETE /api/concurrency_limits/{id}": WRITE,
    "GET /api/concurrency_limits/{id}": READ,
    "POST /api/deployments/": WRITE,
    "POST /api/deployments/count": READ,
    "POST /api/deployments/filter": READ,
    "GET /api/deployments/name/{flow_name}/{deployment_name}": READ,
    "DELETE /api/deployments/{id}": WRITE,
    "GET /api/deployments/{id}": READ,
    "PATCH /api/deployments/{id}": WRITE,
    "POST /api/deployments/{id}/create_flow_run": WRITE,
    "POST /api/deployments/{id}/schedule": WRITE,
    "POST /api/deployments/{id}/set_schedule_active": WRITE,
    "POST /api/deployments/{id}/set_schedule_inactive": WRITE,
    "GET /api/deployments/{id}/work_queue_check": READ,
    "POST /api/experimental/artifacts/": WRITE,
    "POST /api/experimental/artifacts/filter": READ,
    "DELETE /api/experimental/artifacts/{id}": WRITE,
    "GET /api/experimental/artifacts/{id}": READ,
    "PATCH /api/experimental/artifacts/{id}": WRITE,
    "POST /api/flow_run_notification_policies/": WRITE,
    "POST /api/flow_run_notification_policies/filter": READ,
    "DELETE /api/flow_run_notification_policies/{id}": WRITE,
    "GET /api/flow_run_notification_policies/{id}": READ,
    "PATCH /api/flow_run_notification_policies/{id}": WRITE,
    "GET /api/flow_run_states/": READ,
    "GET /api/flow_run_states/{id}": READ,
    "POST /api/flow_runs/": WRITE,
    "POST /api/flow_runs/count": READ,
    "POST /api/flow_runs/filter": READ,
    "POST /api/flow_runs/history": READ,
    "DELETE /api/flow_runs/{id}": WRITE,
    "GET /api/flow_runs/{id}": READ,
    "PATCH /api/flow_runs/{id}": WRITE,
    "GET /api/flow_runs/{id}/graph": READ,
    "POST /api/flow_runs/{id}/resume": WRITE,
    "POST /api/flow_runs/{id}/set_state": WRITE,
    "POST /api/flows/": WRITE,
    "POST /api/flows/count": READ,
    "POST /api/flows/filter": READ,
    "GET /api/flows/name/{name}": READ,
    "DELETE /api/flows/{id}": WRITE,
    "GET /api/flows/{id}": READ,
    "PATCH /api/flows/{id}": WRITE,
    "GET /api/health": PUBLIC,
    "GET /api/hello": READ,
    "POST /api/logs/": WRITE,
    "POST /api/logs/filter": READ,
    "PUT /api/saved_searches/": WRITE,
    "POST /api/saved_searches/filter": READ,
    "DELETE /api/saved_searches/{id}": WRITE,
    "GET /api/saved_searches/{id}": READ,
    "GET /api/task_run_states/": READ,
    "GET /api/task_run_states/{id}": READ,
    "POST /api/task_runs/": WRITE,
    "POST /api/task_runs/count": READ,
    "POST /api/task_runs/filter": READ,
    "POST /api/task_runs/history": READ,
    "DELETE /api/task_runs/{id}": WRITE,
    "GET /api/task_runs/{id}": READ,
    "PATCH /api/task_runs/{id}": WRITE,
    "POST /api/task_runs/{id}/set_state": WRITE,
    "POST /api/ui/flow_runs/history": READ,
    "GET /api/version": PUBLIC,
    "POST /api/work_pools/": WRITE,
    "POST /api/work_pools/filter": READ,
    "DELETE /api/work_pools/{name}": WRITE,
    "GET /api/work_pools/{name}": READ,
    "PATCH /api/work_pools/{name}": WRITE,
    "POST /api/work_pools/{name}/get_scheduled_flow_runs": WRITE,
    "POST /api/work_pools/{work_pool_name}/queues": WRITE,
    "POST /api/work_pools/{work_pool_name}/queues/filter": READ,
    "DELETE /api/work_pools/{work_pool_name}/queues/{name}": WRITE,
    "GET /api/work_pools/{work_pool_name}/queues/{name}": READ,
    "PATCH /api/work_pools/{work_pool_name}/queues/{name}": WRITE,
    "POST /api/work_pools/{work_pool_name}/workers/filter": READ,
    "POST /api/work_pools/{work_pool_name}/workers/heartbeat": WRITE,
    "POST /api/work_queues/": WRITE,
    "POST /api/work_queues/filter": READ,
    "GET /api/work_queues/name/{name}": READ,
    "DELETE /api/work_queues/{id}": WRITE,
    "GET /api/work_queues/{id}": READ,
    "PATCH /api/work_queues/{id}": WRITE,
    "POST /api/work_queues/{id}/get_runs": WRITE,
    "GET /api/work_queues/{id}/status": READ,
    # Beyond Prefect's API: operations probes. Readiness is public like health (load
    # balancers and orchestrators probe without credentials; it names services, no data);
    # metrics expose run counts and queue names, so a scrape needs a token.
    "GET /api/ready": PUBLIC,
    "GET /api/metrics": READ,
    # Beyond Prefect's API: the signed-in user's own account and tokens.
    "GET /api/me/": ACCOUNT,
    "GET /api/me/tokens": ACCOUNT,
    "POST /api/me/tokens": ACCOUNT,
    "DELETE /api/me/tokens/{id}": ACCOUNT,
    # The API's documentation and its logo.
    "GET /api/docs": READ,
    "GET /api/openapi.json": READ,
    "GET /api/static/prefect-logo-mark-gradient.png": PUBLIC,
}

# Operations that send secret block values when asked to (``include_secrets=true``, a
# query parameter on GETs, a body field on the filter).
SECRET_READS: frozenset[str] = frozenset(
    {
        "GET /api/block_documents/{id}",
        "POST /api/block_documents/filter",
        "GET /api/block_types/slug/{slug}/block_documents",
        "GET /api/block_types/slug/{slug}/block_documents/name/{block_document_name}",
    }
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def access_for(operation: str) -> Access:
    """The access ``operation`` (``"METHOD /api/path"``) needs.

    An operation missing from the table (an unknown path, which answers 404) needs a
    read if its method is safe and a write otherwise, so it tells an anonymous caller
    nothing and a viewer cannot probe with unsafe methods.
    """
    access = OPERATIONS.get(operation)
    if access is not None:
        return access
    method = operation.split(" ", 1)[0]
    if method == "HEAD":
        return access_for("GET" + operation[4:])
    return READ if method in SAFE_METHODS else WRITE
