"""Flow runs: idempotent create (with the initial state), read, filter, count, update,
delete, the task-run graph, and the response shape (``FlowRunResponse``)."""

from __future__ import annotations

import datetime as dt
from typing import Optional
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from api import models, orchestration
from api.crud import artifacts, block_documents, states
from api.crud import task_runs as task_runs_crud
from api.crud.filters import (
    NO_FILTERS,
    STATE_TYPE_INDEXED_SORTS,
    RunFilterSet,
    flow_runs_q,
    order_by,
    pinned_state_types,
)
from api.crud.paging import page, page_merging_values
from api.crud.prepared import PreparedInsert, PreparedQuery
from api.crud.lookups import require, require_some, update_sent
from api.crud.runs import estimated_run_time, estimated_start_time_delta
from api.errors import ObjectNotFoundError
from api.schemas import actions
from api.schemas.core import FlowRunBase, TaskRunResult
from api.schemas.responses import DependencyResult, FlowRunResponse
from api.schemas.sorting import FlowRunSort
from api.utilities.names import generate_slug

# Response fields read straight off the row; the others are computed.
_COLUMN_FIELDS = tuple(
    name
    for name in FlowRunBase.model_fields
    if name not in {"state", "estimated_run_time", "estimated_start_time_delta"}
)
# Written as JSON (sets and UUIDs inside them serialised), the rest as Python values.
_JSON_COLUMNS = {"parameters", "context", "empirical_policy", "tags"}
FLOW_RUN_NOT_FOUND = "Flow run not found"


def flow_runs_with_state() -> QuerySet[models.FlowRun]:
    """Flow runs with what their responses show (state, its result, queue and pool)."""
    return models.FlowRun.objects.select_related(
        "state", "state__result_artifact", "work_queue__work_pool"
    )


# The engine's hot statements, compiled once (see api.crud.prepared).
_FLOW_RUN_BY_ID = PreparedQuery(lambda flow_run_id: flow_runs_with_state().filter(pk=flow_run_id)[:1], UUID)
_FLOW_EXISTS = PreparedQuery(lambda flow_id: models.Flow.objects.filter(pk=flow_id).values_list("pk")[:1], UUID)
_INSERT_FLOW_RUN = PreparedInsert(models.FlowRun)


def to_schema(run: models.FlowRun, now: Optional[dt.datetime] = None) -> FlowRunResponse:
    """The API shape of a flow run loaded by ``flow_runs_with_state()``."""
    now = now or timezone.now()
    values = {name: getattr(run, name) for name in _COLUMN_FIELDS}
    values["estimated_run_time"] = estimated_run_time(run, now)
    values["estimated_start_time_delta"] = estimated_start_time_delta(run, now)
    values["state"] = states.to_schema(run.state)
    if run.work_queue is not None:
        values["work_queue_name"] = run.work_queue.name
        values["work_pool_name"] = run.work_queue.work_pool.name
    return FlowRunResponse.model_validate(values)


def to_schemas(runs: list[models.FlowRun]) -> list[FlowRunResponse]:
    """``to_schema`` for a page of runs, with one notion of "now"."""
    now = timezone.now()
    return [to_schema(run, now) for run in runs]


def create_flow_run(
    flow_run: actions.FlowRunCreate, api_version: Optional[str] = None
) -> tuple[models.FlowRun, bool]:
    """Insert a run and apply its initial state (Pending if none), or return the run of
    the same flow with the same idempotency key untouched. The flag says "inserted".

    An unknown flow is an ``IntegrityError`` (a conflict). ``api_version`` is the client's,
    for the version-dependent bookkeeping of the initial state.
    """
    if flow_run.idempotency_key is not None:
        existing = _by_idempotency_key(flow_run.flow_id, flow_run.idempotency_key)
        if existing is not None:
            return existing, False
    if not _FLOW_EXISTS.all(flow_run.flow_id):
        raise IntegrityError(f"Flow {flow_run.flow_id} does not exist.")
    values = flow_run.model_dump(exclude={"state", "name", *_JSON_COLUMNS})
    values.update(flow_run.model_dump(include=_JSON_COLUMNS, mode="json"))
    run = models.FlowRun(name=flow_run.name or generate_slug(), **values)
    try:
        with transaction.atomic():
            _INSERT_FLOW_RUN.insert(run)
    except IntegrityError:
        # A concurrent request inserted the same idempotency key first.
        if flow_run.idempotency_key is None:
            raise
        existing = _by_idempotency_key(flow_run.flow_id, flow_run.idempotency_key)
        if existing is None:
            raise
        return existing, False
    orchestration.set_initial_flow_run_state(run, flow_run.state, api_version=api_version)
    return _FLOW_RUN_BY_ID.first(run.id), True


def _by_idempotency_key(flow_id: UUID, key: str) -> Optional[models.FlowRun]:
    return flow_runs_with_state().filter(flow_id=flow_id, idempotency_key=key).first()


def read_flow_run(flow_run_id: UUID) -> Optional[models.FlowRun]:
    """The flow run with this id (state, queue and pool loaded), or None."""
    return _FLOW_RUN_BY_ID.first(flow_run_id)


def get_flow_run(flow_run_id: UUID) -> models.FlowRun:
    """The flow run with this id (state, queue and pool loaded); ``NotFoundError`` if missing."""
    return require(read_flow_run(flow_run_id), FLOW_RUN_NOT_FOUND)


# What a history point needs (api.crud.history.simple_flow_runs): loading only these
# columns, without the state joins, keeps a 1000-point chart cheap on a large table.
HISTORY_POINT_FIELDS = ("id", "state_type", "state_timestamp", "total_run_time", "expected_start_time", "start_time")


def read_flow_runs(
    filters: RunFilterSet = NO_FILTERS,
    sort: FlowRunSort = FlowRunSort.ID_DESC,
    limit: Optional[int] = None,
    offset: int = 0,
    columns: Optional[tuple[str, ...]] = None,
) -> list[models.FlowRun]:
    """Flow runs matching the filters, sorted, one page (one query): with state, queue and
    pool for ``to_schema``, or only ``columns`` (e.g. ``HISTORY_POINT_FIELDS``)."""
    runs = flow_runs_with_state() if columns is None else models.FlowRun.objects.only(*columns)
    criteria, ordering = flow_runs_q(filters), order_by(sort)
    types = pinned_state_types(filters.flow_runs)
    if limit is not None and types is not None and len(types) > 1 and sort in STATE_TYPE_INDEXED_SORTS:
        return page_merging_values(runs, criteria, ordering, "state_type", types, offset, limit)
    return page(runs.filter(criteria).order_by(*ordering), offset, limit)


def count_flow_runs(filters: RunFilterSet = NO_FILTERS) -> int:
    """How many flow runs match the filters."""
    return models.FlowRun.objects.filter(flow_runs_q(filters)).count()


def update_flow_run(flow_run_id: UUID, flow_run: actions.FlowRunUpdate) -> None:
    """Write the keys sent (JSON values replaced whole); ``NotFoundError`` if there is no such run."""
    update_sent(models.FlowRun.objects.filter(pk=flow_run_id), flow_run, FLOW_RUN_NOT_FOUND)


def delete_flow_run(flow_run_id: UUID) -> None:
    """Delete the run with everything that belongs to it; ``NotFoundError`` if there is no such run."""
    require_some(delete_flow_runs(models.FlowRun.objects.filter(pk=flow_run_id)), FLOW_RUN_NOT_FOUND)


def delete_flow_runs(runs: QuerySet[models.FlowRun]) -> int:
    """Delete these runs with their task runs, states, logs, artifacts, queued
    notifications, and the anonymous block documents (result storage, infrastructure)
    nothing else needs; subflow runs of their task runs are kept, detached. Returns how
    many runs were deleted. No row that belonged to them is left behind.

    Set-based, a fixed number of statements however many rows go: Django's cascade
    emulation would load every dependent row and delete it in parameter-sized batches.
    ``_raw_delete`` is that emulation's own single-statement delete, safe here because
    every table that points at these rows is handled first (foreign keys are checked at
    commit, so the order inside the transaction is free).
    """
    run_ids = runs.values("pk")
    alias = runs.db
    with transaction.atomic(using=alias):
        document_ids = block_documents.anonymous_block_documents_of_runs(runs)
        task_runs_crud.delete_task_runs(models.TaskRun.objects.filter(flow_run__in=run_ids))
        artifacts.delete_run_artifacts(models.Artifact.objects.filter(flow_run_id__in=run_ids))
        # Logs carry run ids without a foreign key, so nothing cascades to them.
        models.Log.objects.filter(flow_run_id__in=run_ids).delete()
        states = models.FlowRunState.objects.filter(flow_run__in=run_ids)
        models.FlowRunNotificationQueue.objects.filter(flow_run_state_id__in=states.values("pk")).delete()
        states._raw_delete(alias)
        # ``None`` when the query is known to match nothing (``pk__in=[]``).
        deleted = runs._raw_delete(alias) or 0
        block_documents.delete_unreferenced_anonymous_block_documents(document_ids)
    return deleted


def read_flow_run_graph(flow_run_id: UUID) -> list[DependencyResult]:
    """Every task run of the flow run with the task runs its inputs came from."""
    if not models.FlowRun.objects.filter(pk=flow_run_id).exists():
        raise ObjectNotFoundError(f"Flow run with id {flow_run_id} not found")
    task_runs = models.TaskRun.objects.filter(flow_run_id=flow_run_id).select_related(
        "state", "state__result_artifact"
    )
    now = timezone.now()
    graph = []
    for task_run in task_runs:
        upstream = [
            TaskRunResult(id=task_input["id"])
            for inputs in (task_run.task_inputs or {}).values()
            for task_input in inputs
            if task_input.get("input_type") == "task_run"
        ]
        state = states.to_schema(task_run.state)
        graph.append(
            DependencyResult(
                id=task_run.id,
                name=task_run.name,
                upstream_dependencies=upstream,
                state=state,
                expected_start_time=task_run.expected_start_time,
                start_time=task_run.start_time,
                end_time=task_run.end_time,
                total_run_time=task_run.total_run_time,
                estimated_run_time=estimated_run_time(task_run, now),
                untrackable_result=bool(state and state.state_details.untrackable_result),
            )
        )
    return graph
