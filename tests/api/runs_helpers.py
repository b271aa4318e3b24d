"""Helpers of the flow/run API tests: JSON calls through the full Django stack and rows
made through ``api.crud`` (so they obey the same rules as the API)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from typing import Any, Optional

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api import models
from api.crud import flow_runs, flows, task_runs
from api.schemas import actions
from api.schemas.states import StateCreate

NO_BODY = object()


def call(client: Client, method: str, path: str, body: Any = NO_BODY) -> Any:
    """Send ``body`` as JSON (or no body at all) to ``/api<path>``."""
    kwargs: dict[str, Any] = {"content_type": "application/json"}
    if body is not NO_BODY:
        kwargs["data"] = json.dumps(body)
    return getattr(client, method.lower())(f"/api{path}", **kwargs)


def post(client: Client, path: str, body: Any = NO_BODY) -> Any:
    """POST ``body`` as JSON."""
    return call(client, "post", path, body)


def ids(response: Any) -> list[str]:
    """The ``id`` of every object of a list response, in order."""
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()]


def names(response: Any) -> list[str]:
    """The ``name`` of every object of a list response, in order."""
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()]


def state(state_type: str, **fields: Any) -> StateCreate:
    """A proposed state."""
    return StateCreate.model_validate({"type": state_type, **fields})


def scheduled(at: dt.datetime) -> StateCreate:
    """A Scheduled state for ``at``."""
    return state("SCHEDULED", state_details={"scheduled_time": at.isoformat()})


def new_flow(name: Optional[str] = None, tags: Iterable[str] = ()) -> models.Flow:
    """A flow (random name unless given)."""
    row, _ = flows.create_flow(actions.FlowCreate(name=name or f"flow-{uuid.uuid4().hex[:8]}", tags=list(tags)))
    return row


def new_flow_run(flow: Optional[models.Flow] = None, initial: Optional[StateCreate] = None, **fields: Any) -> models.FlowRun:
    """A flow run of ``flow`` (a new flow if None) in state ``initial`` (Pending if None)."""
    flow = flow or new_flow()
    body = actions.FlowRunCreate.model_validate({"flow_id": flow.id, **fields})
    body.state = initial
    row, _ = flow_runs.create_flow_run(body)
    return row


def new_task_run(flow_run: models.FlowRun, initial: Optional[StateCreate] = None, **fields: Any) -> models.TaskRun:
    """A task run of ``flow_run`` in state ``initial`` (Pending if None)."""
    values = {"task_key": f"task-{uuid.uuid4().hex[:8]}", "dynamic_key": "0", **fields}
    body = actions.TaskRunCreate.model_validate({"flow_run_id": flow_run.id, **values})
    body.state = initial
    row, _ = task_runs.create_task_run(body)
    return row


def new_work_queue(pool_name: str, queue_name: str, pool_type: str = "process") -> models.WorkQueue:
    """A work queue in a (new or existing) work pool."""
    pool, _ = models.WorkPool.objects.get_or_create(name=pool_name, defaults={"type": pool_type})
    return models.WorkQueue.objects.create(name=queue_name, work_pool=pool, priority=1)


def set_columns(row: Any, **values: Any) -> None:
    """Write columns directly (times that only orchestration would otherwise set)."""
    type(row).objects.filter(pk=row.pk).update(**values)


def ago(**delta: float) -> dt.datetime:
    """Now minus ``delta``."""
    return timezone.now() - dt.timedelta(**delta)


def count_queries(client: Client, method: str, path: str, body: Any = NO_BODY) -> tuple[int, Any]:
    """How many SQL queries one request runs, and its response."""
    with CaptureQueriesContext(connection) as queries:
        response = call(client, method, path, body)
    return len(queries), response
