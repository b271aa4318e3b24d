"""Retention: finished flow runs older than a cutoff are deleted with everything that
belongs to them, in small transactions.

A flow run is expired when it is in a terminal state and ended (``end_time``; for runs
that never started, the time of their final state) before the cutoff. Each transaction
deletes at most ``RUN_BATCH_SIZE`` runs (with their state rows) or ``BATCH_SIZE`` log
lines or other rows, and the caller may pause after each (``pause``), so writers wait
for one short transaction at a time, never for the whole purge. Log lines go first (the
bulk of the rows), then task runs, then the flow runs themselves through
``flow_runs.delete_flow_runs`` (the same deletion ``DELETE /flow_runs/{id}`` uses), so no
orphan rows are left at any point; then anonymous block documents created before the
cutoff that nothing references any more, and the rows of ``PURGED_BY_AGE``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterator
from uuid import UUID

from django.apps import apps
from django.db import transaction
from django.db.models import Q, QuerySet

from api import models
from api.crud import block_documents, flow_runs, task_runs
from api.crud.paging import page
from api.crud.run_maintenance import TERMINAL_STATE_TYPES

BATCH_SIZE = 500
# Runs per transaction: each drags its states along, and on the 2-core benchmark box a
# transaction of 500 flow runs held the write lock up to 1 s, one of 100 about 0.3 s.
RUN_BATCH_SIZE = 100

# Called after each transaction with the seconds it took; False stops the purge.
Pause = Callable[[float], bool]

# Tables purged by age alone, as (model label, datetime field): rows nothing points at
# and nobody reads once old. A feature that adds such a table (e.g. audit rows) appends
# it here and retention covers it.
PURGED_BY_AGE: list[tuple[str, str]] = [
    ("api.FlowRunNotificationQueue", "created"),
    ("api.AuditEvent", "at"),
]


@dataclasses.dataclass
class PurgeCounts:
    """How many rows a purge deleted (or, for a dry run, would delete)."""

    flow_runs: int = 0
    task_runs: int = 0
    logs: int = 0
    artifacts: int = 0
    block_documents: int = 0
    by_age: dict[str, int] = dataclasses.field(default_factory=dict)
    #: The purge was asked to stop before it was done.
    stopped: bool = False

    def as_dict(self) -> dict[str, int]:
        """The counts by kind of row (``PURGED_BY_AGE`` ones by table name)."""
        counts = {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if field.name not in ("by_age", "stopped")
        }
        return {**counts, **self.by_age}


def expired_flow_runs(cutoff: dt.datetime) -> QuerySet[models.FlowRun]:
    """Flow runs in a terminal state that ended before ``cutoff``."""
    ended_before = Q(end_time__lt=cutoff) | Q(end_time__isnull=True, state_timestamp__lt=cutoff)
    return models.FlowRun.objects.filter(ended_before, state_type__in=TERMINAL_STATE_TYPES)


def count_expired(cutoff: dt.datetime) -> PurgeCounts:
    """What ``purge(cutoff)`` would delete, deleting nothing."""
    run_ids = expired_flow_runs(cutoff).values("pk")
    task_run_ids = models.TaskRun.objects.filter(flow_run__in=run_ids).values("pk")
    counts = PurgeCounts(
        flow_runs=models.FlowRun.objects.filter(pk__in=run_ids).count(),
        task_runs=models.TaskRun.objects.filter(pk__in=task_run_ids).count(),
        logs=models.Log.objects.filter(flow_run_id__in=run_ids).count(),
        artifacts=models.Artifact.objects.filter(Q(flow_run_id__in=run_ids) | Q(task_run_id__in=task_run_ids)).count(),
        block_documents=block_documents.count_block_documents_freed_by(expired_flow_runs(cutoff)),
    )
    after_id: UUID | None = None
    while True:
        ids, after_id = block_documents.unreferenced_anonymous_block_documents_page(cutoff, BATCH_SIZE, after_id)
        counts.block_documents += len(ids)
        if after_id is None:
            break
    for label, field in PURGED_BY_AGE:
        rows = _aged(label, field, cutoff)
        counts.by_age[rows.model._meta.db_table] = rows.count()
    return counts


def purge(cutoff: dt.datetime, batch_size: int = BATCH_SIZE, pause: Pause | None = None) -> PurgeCounts:
    """Delete every expired flow run with what belongs to it, the anonymous documents
    left unreferenced from before ``cutoff`` and the ``PURGED_BY_AGE`` rows older than it,
    each transaction deleting at most ``batch_size`` rows (and at most
    ``RUN_BATCH_SIZE`` runs). Call outside a transaction. Returns what was deleted.

    ``pause(seconds)`` is called after every transaction with how long it held the write
    lock; it may wait (so writers get their turn) and returns False to stop the purge
    early (the counts then say what went so far, and nothing is left half-deleted).
    """
    purger = _Purger(cutoff, batch_size, pause)
    try:
        purger.run()
    except _Stopped:
        purger.counts.stopped = True
    return purger.counts


class _Stopped(Exception):
    """``pause`` asked the purge to stop."""


class _Purger:
    """One purge: its counts, and transactions paced by ``pause``."""

    def __init__(self, cutoff: dt.datetime, batch_size: int, pause: Pause | None) -> None:
        self.cutoff = cutoff
        self.batch_size = batch_size
        self.run_batch_size = min(batch_size, RUN_BATCH_SIZE)
        self.pause = pause
        self.counts = PurgeCounts()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        started = time.monotonic()
        with transaction.atomic():
            yield
        if self.pause is not None and not self.pause(time.monotonic() - started):
            raise _Stopped

    def run(self) -> None:
        counts = self.counts
        while True:
            expired = expired_flow_runs(self.cutoff).order_by("pk").values_list("pk", flat=True)
            run_ids = page(expired, limit=self.run_batch_size)
            if not run_ids:
                break
            documents = block_documents.anonymous_block_documents_of_runs(models.FlowRun.objects.filter(pk__in=run_ids))
            counts.logs += self.delete_in_batches(models.Log.objects.filter(flow_run_id__in=run_ids))
            self.delete_task_runs(run_ids)
            with self.transaction():
                # Checked again under the write: a run retried meanwhile is not expired any more.
                still_expired = list(expired_flow_runs(self.cutoff).filter(pk__in=run_ids).values_list("pk", flat=True))
                counts.artifacts += models.Artifact.objects.filter(flow_run_id__in=still_expired).count()
                counts.flow_runs += flow_runs.delete_flow_runs(models.FlowRun.objects.filter(pk__in=still_expired))
            counts.block_documents += len(documents) - models.BlockDocument.objects.filter(pk__in=documents).count()
        after_id: UUID | None = None
        while True:
            with self.transaction():
                ids, after_id = block_documents.unreferenced_anonymous_block_documents_page(
                    self.cutoff, self.batch_size, after_id
                )
                counts.block_documents += block_documents.delete_unreferenced_anonymous_block_documents(ids)
            if after_id is None:
                break
        for label, field in PURGED_BY_AGE:
            rows = _aged(label, field, self.cutoff)
            counts.by_age[rows.model._meta.db_table] = self.delete_in_batches(rows)

    def delete_task_runs(self, flow_run_ids: list[UUID]) -> None:
        """The task runs of these flow runs, ``run_batch_size`` at a time."""
        while True:
            with self.transaction():
                batch = list(
                    models.TaskRun.objects.filter(flow_run_id__in=flow_run_ids).values_list("pk", flat=True)[
                        : self.run_batch_size
                    ]
                )
                if batch:
                    self.counts.artifacts += models.Artifact.objects.filter(task_run_id__in=batch).count()
                    self.counts.task_runs += task_runs.delete_task_runs(models.TaskRun.objects.filter(pk__in=batch))
            if len(batch) < self.run_batch_size:
                return

    def delete_in_batches(self, rows: QuerySet) -> int:
        """Delete ``rows`` (of a table nothing points at) ``batch_size`` at a time, one
        transaction per batch; return how many went."""
        deleted = 0
        while True:
            with self.transaction():
                batch = page(rows.values_list("pk", flat=True), limit=self.batch_size)
                if batch:
                    deleted += rows.model.objects.filter(pk__in=batch)._raw_delete(rows.db) or 0
            if len(batch) < self.batch_size:
                return deleted


def _aged(label: str, field: str, cutoff: dt.datetime) -> QuerySet:
    return apps.get_model(label).objects.filter(**{f"{field}__lt": cutoff})
