"""Task runs: create-or-get by (flow run, task key, dynamic key) with the initial state,
read, filter, count, rename, delete, and the response shape (``TaskRun``)."""

from __future__ import annotations

import datetime as dt
from typing import Optional
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from api import models, orchestration
from api.crud import artifacts, block_documents, states
from api.crud.filters import NO_FILTERS, RunFilterSet, order_by, task_runs_q
from api.crud.paging import page
from api.crud.prepared import PreparedInsert, PreparedQuery
from api.crud.lookups import require, require_some, update_sent
from api.crud.runs import estimated_run_time, estimated_start_time_delta
from api.schemas import actions, core
from api.schemas.sorting import TaskRunSort
from api.utilities.names import generate_slug

# Response fields read straight off the row; the others are computed.
_COLUMN_FIELDS = tuple(
    name
    for name in core.TaskRun.model_fields
    if name not in {"state", "estimated_run_time", "estimated_start_time_delta"}
)
# Written as JSON (UUIDs inside task inputs serialised), the rest as Python values.
_JSON_COLUMNS = {"empirical_policy", "tags", "task_inputs"}
# The original words "not found" differently for reads/deletes and for updates.
TASK_RUN_NOT_FOUND = "Task not found"
TASK_RUN_TO_UPDATE_NOT_FOUND = "Task run not found"


def task_runs_with_state() -> QuerySet[models.TaskRun]:
    """Task runs with their current state (and its result) loaded."""
    return models.TaskRun.objects.select_related("state", "state__result_artifact")


# The engine's hot reads, compiled once (see api.crud.prepared).
_TASK_RUN_BY_ID = PreparedQuery(lambda task_run_id: task_runs_with_state().filter(pk=task_run_id)[:1], UUID)
_TASK_RUN_BY_KEY = PreparedQuery(
    lambda flow_run_id, task_key, dynamic_key: task_runs_with_state().filter(
        flow_run_id=flow_run_id, task_key=task_key, dynamic_key=dynamic_key
    )[:1],
    UUID,
    str,
    str,
)
_FLOW_RUN_EXISTS = PreparedQuery(lambda flow_run_id: models.FlowRun.objects.filter(pk=flow_run_id).values_list("pk")[:1], UUID)
_INSERT_TASK_RUN = PreparedInsert(models.TaskRun)


def to_schema(run: models.TaskRun, now: Optional[dt.datetime] = None) -> core.TaskRun:
    """The API shape of a task run loaded by ``task_runs_with_state()``."""
    now = now or timezone.now()
    values = {name: getattr(run, name) for name in _COLUMN_FIELDS}
    values["estimated_run_time"] = estimated_run_time(run, now)
    values["estimated_start_time_delta"] = estimated_start_time_delta(run, now)
    values["state"] = states.to_schema(run.state)
    return core.TaskRun.model_validate(values)


def to_schemas(runs: list[models.TaskRun]) -> list[core.TaskRun]:
    """``to_schema`` for a page of runs, with one notion of "now"."""
    now = timezone.now()
    return [to_schema(run, now) for run in runs]


def create_task_run(task_run: actions.TaskRunCreate) -> tuple[models.TaskRun, bool]:
    """Insert a task run and apply its initial state (Pending if none), or return the
    existing run with the same flow run, task key and dynamic key untouched. The flag
    says "inserted". An unknown flow run is an ``IntegrityError`` (a conflict)."""
    existing = _by_key(task_run)
    if existing is not None:
        return existing, False
    if not _FLOW_RUN_EXISTS.all(task_run.flow_run_id):
        raise IntegrityError(f"Flow run {task_run.flow_run_id} does not exist.")
    values = task_run.model_dump(exclude={"state", "name", *_JSON_COLUMNS})
    values.update(task_run.model_dump(include=_JSON_COLUMNS, mode="json"))
    run = models.TaskRun(name=task_run.name or generate_slug(), **values)
    try:
        with transaction.atomic():
            _INSERT_TASK_RUN.insert(run)
    except IntegrityError:
        # A concurrent request inserted the same keys first.
        existing = _by_key(task_run)
        if existing is None:
            raise
        return existing, False
    orchestration.set_initial_task_run_state(run, task_run.state)
    return _TASK_RUN_BY_ID.first(run.id), True


def _by_key(task_run: actions.TaskRunCreate) -> Optional[models.TaskRun]:
    return _TASK_RUN_BY_KEY.first(task_run.flow_run_id, task_run.task_key, task_run.dynamic_key)


def get_task_run(task_run_id: UUID) -> models.TaskRun:
    """The task run with this id (state loaded); ``NotFoundError`` if missing."""
    return require(_TASK_RUN_BY_ID.first(task_run_id), TASK_RUN_NOT_FOUND)


def read_task_runs(
    filters: RunFilterSet = NO_FILTERS,
    sort: TaskRunSort = TaskRunSort.ID_DESC,
    limit: Optional[int] = None,
    offset: int = 0,
) -> list[models.TaskRun]:
    """Task runs matching the filters, sorted, one page (one query)."""
    return page(task_runs_with_state().filter(task_runs_q(filters)).order_by(*order_by(sort)), offset, limit)


def count_task_runs(filters: RunFilterSet = NO_FILTERS) -> int:
    """How many task runs match the filters."""
    return models.TaskRun.objects.filter(task_runs_q(filters)).count()


def update_task_run(task_run_id: UUID, task_run: actions.TaskRunUpdate) -> None:
    """Write the keys sent; ``NotFoundError`` if there is no such task run."""
    update_sent(models.TaskRun.objects.filter(pk=task_run_id), task_run, TASK_RUN_TO_UPDATE_NOT_FOUND)


def delete_task_run(task_run_id: UUID) -> None:
    """Delete the task run with everything that belongs to it; ``NotFoundError`` if there is no such run."""
    require_some(delete_task_runs(models.TaskRun.objects.filter(pk=task_run_id)), TASK_RUN_NOT_FOUND)


def delete_task_runs(runs: QuerySet[models.TaskRun]) -> int:
    """Delete these task runs with their states, logs, artifacts, cache entries and the
    anonymous result-storage documents nothing else needs; sub-flow runs they parent are
    kept, detached. Returns how many task runs were deleted.

    Set-based, a fixed number of statements (see ``flow_runs.delete_flow_runs``); children
    go first, while ``runs`` still selects the task runs.
    """
    run_ids = runs.values("pk")
    alias = runs.db
    with transaction.atomic(using=alias):
        _, storage_ids = artifacts.delete_run_artifacts(models.Artifact.objects.filter(task_run_id__in=run_ids))
        models.Log.objects.filter(task_run_id__in=run_ids).delete()
        states = models.TaskRunState.objects.filter(task_run__in=run_ids)
        models.TaskRunStateCache.objects.filter(task_run_state_id__in=states.values("pk")).delete()
        models.FlowRun.objects.filter(parent_task_run__in=run_ids).update(parent_task_run=None, updated=timezone.now())
        states._raw_delete(alias)
        # ``None`` when the query is known to match nothing (``pk__in=[]``).
        deleted = runs._raw_delete(alias) or 0
        block_documents.delete_unreferenced_anonymous_block_documents(storage_ids)
    return deleted
