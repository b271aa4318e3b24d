"""Every one of the 115 operations, sent bodies a careless or hostile client sends.

Per operation, against real rows for its path parameters: no body at all, ``{}``,
``null``, a body of the wrong JSON type (a string) and an object of unknown keys. Whatever
the body, the answer is never a 5xx, a 4xx writes nothing (row counts and the latest
``updated`` of every table are unchanged), and the status is the original's:

* operations without a body ignore whatever is sent;
* a single-model body (``POST /flows/``) must be that object: missing, ``null``, a string
  and unknown keys are 422; ``{}`` is 422 when the model has required fields;
* a body of several parameters (``/filter``, ``get_runs``, ...) ignores unknown keys and
  takes a missing body or ``null`` as "all defaults", so those three and ``{}`` get the
  same answer; a string is 422 (the original fails with a 500 there).
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.db.models import Count, Max
from django.test import Client

from api.schemas.base import RequestBody

ROUTES_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "routes-prefect-2.8.7.txt"
OPERATIONS = [line.strip() for line in ROUTES_FILE.read_text().splitlines() if line.strip()]
NO_BODY = object()
VARIANTS: dict[str, Any] = {
    "missing": NO_BODY,
    "empty": {},
    "null": None,
    "wrong-type": "not an object",
    "unknown-keys": {"no_such_key": 1, "another_unknown": {"x": [1, 2]}},
}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _artifacts_enabled(settings: Any) -> None:
    settings.PREFECT_EXPERIMENTAL_ENABLE_ARTIFACTS = True


def _subclasses(cls: type) -> set[str]:
    found: set[str] = set()
    for sub in cls.__subclasses__():
        found |= {sub.__name__} | _subclasses(sub)
    return found


def _call(client: Client, method: str, path: str, body: Any) -> Any:
    data = b"" if body is NO_BODY else json.dumps(body).encode()
    return client.generic(method.upper(), path, data=data, content_type="application/json")


def _created(client: Client, path: str, body: Any, method: str = "post") -> dict[str, Any]:
    response = _call(client, method, f"/api{path}", body)
    assert response.status_code in (200, 201), (path, response.content)
    return response.json()


def make_world(client: Client) -> dict[str, str]:
    """One row of each resource, made through the API; the values for path parameters."""
    flow = _created(client, "/flows/", {"name": "walk-flow"})
    flow_run = _created(client, "/flow_runs/", {"flow_id": flow["id"], "state": {"type": "PAUSED"}})
    task_run = _created(client, "/task_runs/", {"flow_run_id": flow_run["id"], "task_key": "t", "dynamic_key": "0"})
    pool = _created(client, "/work_pools/", {"name": "walk-pool"})
    pool_queue = _created(client, f"/work_pools/{pool['name']}/queues", {"name": "walk-pool-queue"})
    queue = _created(client, "/work_queues/", {"name": "walk-queue"})
    deployment = _created(
        client, "/deployments/", {"name": "walk-deployment", "flow_id": flow["id"], "work_queue_name": queue["name"]}
    )
    block_type = _created(client, "/block_types/", {"name": "Walk Block", "slug": "walk-block"})
    block_schema = _created(
        client, "/block_schemas/", {"block_type_id": block_type["id"], "fields": {"properties": {}}, "capabilities": []}
    )
    block_document = _created(
        client,
        "/block_documents/",
        {"name": "walk-doc", "block_type_id": block_type["id"], "block_schema_id": block_schema["id"], "data": {}},
    )
    limit = _created(client, "/concurrency_limits/", {"tag": "walk-tag", "concurrency_limit": 2})
    search = _created(client, "/saved_searches/", {"name": "walk-search"}, method="put")
    artifact = _created(client, "/experimental/artifacts/", {"key": "walk-artifact", "flow_run_id": flow_run["id"]})
    policy = _created(
        client,
        "/flow_run_notification_policies/",
        {"block_document_id": block_document["id"], "state_names": [], "tags": []},
    )
    state_id = flow_run["state"]["id"]
    task_state_id = task_run["state"]["id"] if task_run["state"] else str(uuid.uuid4())
    ids = {
        "block_documents": block_document["id"],
        "block_schemas": block_schema["id"],
        "block_types": block_type["id"],
        "concurrency_limits": limit["id"],
        "deployments": deployment["id"],
        "experimental": artifact["id"],
        "flow_run_notification_policies": policy["id"],
        "flow_runs": flow_run["id"],
        "flows": flow["id"],
        "saved_searches": search["id"],
        "task_runs": task_run["id"],
        "work_queues": queue["id"],
        "flow_run_states": state_id,
        "task_run_states": task_state_id,
    }
    return {
        "ids": ids,  # type: ignore[dict-item]
        "tag": limit["tag"],
        "name": pool["name"],
        "work_pool_name": pool["name"],
        "pool_queue": pool_queue["name"],
        "queue_name": queue["name"],
        "checksum": block_schema["checksum"],
        "slug": block_type["slug"],
        "block_document_name": block_document["name"],
        "flow_name": flow["name"],
        "deployment_name": deployment["name"],
        "flow_run_id": flow_run["id"],
        "task_run_id": task_run["id"],
    }


def fill_path(template: str, world: dict[str, Any]) -> str:
    """The operation's path with its parameters naming rows of ``world``."""
    resource = template.split("/")[2]
    path = template.replace("{id}", world["ids"].get(resource, str(uuid.uuid4())))
    if "/queues/{name}" in path:
        path = path.replace("/queues/{name}", f"/queues/{world['pool_queue']}")
    if template.startswith("/api/work_queues/name/"):
        path = path.replace("{name}", world["queue_name"])
    if template.startswith("/api/flows/name/"):
        path = path.replace("{name}", world["flow_name"])
    if template == "/api/collections/views/{view}":
        path = path.replace("{view}", "aggregate-worker-metadata")
    path = re.sub(r"\{(\w+)\}", lambda match: world[match.group(1)], path)
    query = ""
    if template == "/api/flow_run_states/":
        query = f"?flow_run_id={world['flow_run_id']}"
    if template == "/api/task_run_states/":
        query = f"?task_run_id={world['task_run_id']}"
    return path + query


@functools.cache
def body_kinds() -> dict[str, str]:
    """``"METHOD path"`` -> ``none``, ``single`` (the body is one model) or ``params``,
    read from the served OpenAPI document (fetched once)."""
    document = Client().get("/api/openapi.json").json()
    multi = _subclasses(RequestBody)  # after the request: serving it imported the routers
    kinds: dict[str, str] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if body is None:
                kinds[f"{method.upper()} {path}"] = "none"
                continue
            schema = body["content"]["application/json"]["schema"]
            # An optional body is ``allOf: [$ref]`` with a default, or ``anyOf: [$ref, null]``.
            name = (schema.get("allOf") or schema.get("anyOf") or [schema])[0].get("$ref", "").rsplit("/", 1)[-1]
            kinds[f"{method.upper()} {path}"] = "params" if name in multi else "single"
    return kinds


# The audit trail records refused and failed calls on purpose: those rows are the record
# of the 4xx, not a write the 4xx let through.
NOT_DATA = {"AuditEvent"}


def snapshot() -> dict[str, tuple[int, Any]]:
    """Row count and latest ``updated`` of every API table holding data."""
    state: dict[str, tuple[int, Any]] = {}
    for model in apps.get_app_config("api").get_models():
        if model.__name__ in NOT_DATA:
            continue
        has_updated = any(field.name == "updated" for field in model._meta.fields)
        values = model.objects.aggregate(rows=Count("pk"), **({"latest": Max("updated")} if has_updated else {}))
        state[model.__name__] = (values["rows"], values.get("latest"))
    return state


def test_the_walk_covers_all_115_operations(client: Client) -> None:
    kinds = body_kinds()
    assert len(OPERATIONS) == 115
    assert set(OPERATIONS) <= set(kinds)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_hostile_bodies(client: Client, operation: str) -> None:
    method, template = operation.split(" ", 1)
    kind = body_kinds()[operation]
    world = make_world(client)
    path = fill_path(template, world)
    statuses: dict[str, int] = {}
    for variant, body in VARIANTS.items():
        # Each variant meets the same rows: what one call deletes, the next still finds.
        with transaction.atomic():
            before = snapshot()
            response = _call(client, method, path, body)
            statuses[variant] = response.status_code
            assert response.status_code < 500, (variant, response.content[:500])
            if 400 <= response.status_code < 500:
                assert snapshot() == before, f"{variant}: a {response.status_code} answer wrote to the database"
            if response.status_code == 422:
                assert response["content-type"] == "application/json"
            transaction.set_rollback(True)
    if kind == "none":
        assert len(set(statuses.values())) == 1, statuses
    elif kind == "single":
        for variant in ("missing", "null", "wrong-type", "unknown-keys"):
            assert statuses[variant] == 422, statuses
    else:
        assert statuses["wrong-type"] == 422, statuses
        defaults = {statuses[variant] for variant in ("missing", "empty", "null", "unknown-keys")}
        assert len(defaults) == 1, statuses


def test_get_runs_without_a_body_answers_all_defaults(client: Client) -> None:
    """The 2.8.7 web UI posts ``get_runs`` with no body; the original answers 200."""
    world = make_world(client)
    queue_id = world["ids"]["work_queues"]
    response = client.generic("POST", f"/api/work_queues/{queue_id}/get_runs", data=b"")
    assert response.status_code == 200, response.content
    assert response.json() == []
