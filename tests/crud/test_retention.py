"""Deleting runs leaves nothing behind: ``DELETE /flow_runs/{id}``, ``DELETE
/task_runs/{id}`` and the retention purge remove task runs, states, logs, artifacts, cache
entries, queued notifications and the anonymous block documents only those runs used,
and touch nothing else. Every test ends by counting orphan rows (none, ever)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api import models
from api.crud import audit as crud_audit
from api.crud import block_documents, block_schemas, block_types, deployments, logs, retention
from api.orchestration import set_flow_run_state, set_task_run_state
from api.schemas import actions
from tests.fixtures.rows import new_flow, new_flow_run, new_task_run, state

pytestmark = pytest.mark.django_db

CUTOFF_DAYS = 30


def ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def cutoff() -> dt.datetime:
    return ago(CUTOFF_DAYS)


@pytest.fixture
def storage_schema() -> models.BlockSchema:
    block_type = block_types.create_block_type(actions.BlockTypeCreate(name="Local Storage", slug="local-storage"))
    schema, _ = block_schemas.create_block_schema(
        actions.BlockSchemaCreate(fields={"title": "LocalStorage", "properties": {}}, block_type_id=block_type.id)
    )
    return schema


@pytest.fixture
def make_document(storage_schema: models.BlockSchema):
    def make(name: str | None = None) -> models.BlockDocument:
        return block_documents.create_block_document(
            actions.BlockDocumentCreate(
                name=name,
                data={"basepath": "/tmp"},
                block_schema_id=storage_schema.id,
                block_type_id=storage_schema.block_type_id,
                is_anonymous=name is None,
            )
        )

    return make


def result(document: models.BlockDocument) -> dict[str, Any]:
    """State data of a result persisted in ``document`` (as the 2.8.7 client sends it)."""
    return {"type": "reference", "serializer_type": "json", "storage_key": uuid.uuid4().hex, "storage_block_id": str(document.id)}


def full_run(flow: models.Flow, make_document, ended_days_ago: float = 0, **fields: Any) -> models.FlowRun:
    """A finished flow run with everything a real one accumulates: states, a completed
    (cached, persisted) task run and a crashed one, logs of both, result artifacts in an
    anonymous storage document of its own, an anonymous infrastructure document and a
    queued notification."""
    fields.setdefault("infrastructure_document_id", make_document().id)
    run = new_flow_run(flow, state("RUNNING"), **fields)
    storage = make_document()
    cached = new_task_run(run, state("PENDING"))
    set_task_run_state(cached.id, state("RUNNING"))
    set_task_run_state(
        cached.id, state("COMPLETED", data=result(storage), state_details={"cache_key": f"key-{uuid.uuid4().hex}"})
    )
    crashed = new_task_run(run, state("RUNNING"))
    set_task_run_state(crashed.id, state("CRASHED"), force=True)
    logs.create_logs(
        [
            actions.LogCreate(name="x", level=20, message="m", timestamp=timezone.now(), flow_run_id=run.id, task_run_id=task_id)
            for task_id in (None, cached.id, crashed.id)
        ]
    )
    set_flow_run_state(run.id, state("COMPLETED", data=result(storage)))
    run.refresh_from_db()
    # A queued notification of a deleted policy: only direct writes leave one behind.
    models.FlowRunNotificationQueue.objects.create(flow_run_notification_policy_id=uuid.uuid4(), flow_run_state_id=run.state_id)
    if ended_days_ago:
        models.FlowRun.objects.filter(id=run.id).update(end_time=ago(ended_days_ago))
    return run


def orphans() -> dict[str, int]:
    """Rows that belong to a run (or state) that no longer exists, by table."""
    flow_run_ids = models.FlowRun.objects.values("pk")
    task_run_ids = models.TaskRun.objects.values("pk")
    return {
        "task_run": models.TaskRun.objects.exclude(flow_run_id__in=flow_run_ids).count(),
        "flow_run_state": models.FlowRunState.objects.exclude(flow_run_id__in=flow_run_ids).count(),
        "task_run_state": models.TaskRunState.objects.exclude(task_run_id__in=task_run_ids).count(),
        "log": models.Log.objects.exclude(flow_run_id__in=flow_run_ids).count()
        + models.Log.objects.filter(task_run_id__isnull=False).exclude(task_run_id__in=task_run_ids).count(),
        "artifact": models.Artifact.objects.filter(flow_run_id__isnull=False).exclude(flow_run_id__in=flow_run_ids).count()
        + models.Artifact.objects.filter(task_run_id__isnull=False).exclude(task_run_id__in=task_run_ids).count(),
        "task_run_state_cache": models.TaskRunStateCache.objects.exclude(
            task_run_state_id__in=models.TaskRunState.objects.values("pk")
        ).count(),
        "flow_run_notification_queue": models.FlowRunNotificationQueue.objects.exclude(
            flow_run_state_id__in=models.FlowRunState.objects.values("pk")
        ).count(),
    }



def assert_no_orphans() -> None:
    found = orphans()
    assert found == dict.fromkeys(found, 0), found


def rows_of(run: models.FlowRun) -> dict[str, int]:
    """How many rows of each kind belong to ``run``."""
    task_run_ids = models.TaskRun.objects.filter(flow_run=run).values("pk")
    return {
        "task_runs": models.TaskRun.objects.filter(flow_run=run).count(),
        "states": models.FlowRunState.objects.filter(flow_run=run).count()
        + models.TaskRunState.objects.filter(task_run__in=task_run_ids).count(),
        "logs": models.Log.objects.filter(flow_run_id=run.id).count(),
        "artifacts": models.Artifact.objects.filter(flow_run_id=run.id).count(),
    }


def anonymous_documents_of(run: models.FlowRun) -> set[uuid.UUID]:
    named = {
        uuid.UUID(artifact.data["storage_block_id"])
        for artifact in models.Artifact.objects.filter(flow_run_id=run.id)
        if isinstance(artifact.data, dict) and artifact.data.get("storage_block_id")
    }
    return named | {run.infrastructure_document_id}


def existing(ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return set(models.BlockDocument.objects.filter(pk__in=ids).values_list("pk", flat=True))


# --- DELETE -----------------------------------------------------------------------------


def test_delete_flow_run_removes_everything_that_belongs_to_it(client, make_document) -> None:
    flow = new_flow()
    doomed = full_run(flow, make_document)
    kept = full_run(flow, make_document)
    kept_rows = rows_of(kept)
    doomed_documents = anonymous_documents_of(doomed)
    assert rows_of(doomed) == {"task_runs": 2, "states": 7, "logs": 3, "artifacts": 2}
    assert len(doomed_documents) == 2

    assert client.delete(f"/api/flow_runs/{doomed.id}").status_code == 204

    assert rows_of(doomed) == {"task_runs": 0, "states": 0, "logs": 0, "artifacts": 0}
    assert existing(doomed_documents) == set()
    assert rows_of(kept) == kept_rows
    assert existing(anonymous_documents_of(kept)) == anonymous_documents_of(kept)
    assert models.TaskRunStateCache.objects.count() == 1
    assert models.FlowRunNotificationQueue.objects.count() == 1
    assert_no_orphans()


def test_documents_still_used_elsewhere_or_named_are_kept(client, make_document) -> None:
    flow = new_flow()
    shared_infrastructure = make_document()
    named_storage = make_document("team-storage")
    deployment, _ = deployments.create_deployment(
        actions.DeploymentCreate(name="d", flow_id=flow.id, infrastructure_document_id=shared_infrastructure.id)
    )
    run = full_run(flow, make_document, infrastructure_document_id=shared_infrastructure.id)
    other = new_flow_run(flow, state("RUNNING"))
    # Another run's cached result still lives in this run's storage document.
    storage_id = next(iter(anonymous_documents_of(run) - {shared_infrastructure.id}))
    set_flow_run_state(other.id, state("COMPLETED", data={"type": "reference", "storage_block_id": str(storage_id)}))
    named_user = new_flow_run(flow, state("RUNNING"))
    set_flow_run_state(named_user.id, state("COMPLETED", data=result(named_storage)))

    for doomed in (run, named_user):
        assert client.delete(f"/api/flow_runs/{doomed.id}").status_code == 204

    assert existing({shared_infrastructure.id, storage_id, named_storage.id}) == {
        shared_infrastructure.id,
        storage_id,
        named_storage.id,
    }
    assert models.Deployment.objects.filter(id=deployment.id).exists()
    assert_no_orphans()


def test_delete_task_run_removes_its_states_logs_artifacts_and_cache_entries(client, make_document) -> None:
    run = full_run(new_flow(), make_document)
    cached = models.TaskRun.objects.get(flow_run=run, state_type="COMPLETED")
    child = new_flow_run(new_flow(), state("RUNNING"), parent_task_run_id=cached.id)

    assert client.delete(f"/api/task_runs/{cached.id}").status_code == 204

    assert not models.TaskRunState.objects.filter(task_run_id=cached.id).exists()
    assert not models.Log.objects.filter(task_run_id=cached.id).exists()
    assert not models.Artifact.objects.filter(task_run_id=cached.id).exists()
    assert models.TaskRunStateCache.objects.count() == 0
    child.refresh_from_db()
    assert child.parent_task_run_id is None
    # The flow run's own result still uses the storage document.
    assert existing(anonymous_documents_of(run)) == anonymous_documents_of(run)
    assert_no_orphans()


# --- purge --------------------------------------------------------------------------------


def test_purge_deletes_expired_finished_runs_only(make_document) -> None:
    flow = new_flow()
    expired = [full_run(flow, make_document, ended_days_ago=CUTOFF_DAYS + 1) for _ in range(3)]
    recent = full_run(flow, make_document, ended_days_ago=CUTOFF_DAYS - 1)
    still_running = new_flow_run(flow, state("RUNNING"))
    models.FlowRun.objects.filter(id=still_running.id).update(start_time=ago(365), state_timestamp=ago(365))
    # Failed before it ever started: no end time, its final state is what ages.
    never_started = new_flow_run(flow, state("FAILED"))
    models.FlowRun.objects.filter(id=never_started.id).update(state_timestamp=ago(CUTOFF_DAYS + 1))
    # A sub-flow run of an expired run that is itself recent stays, detached.
    parent_task = models.TaskRun.objects.filter(flow_run=expired[0]).first()
    child = new_flow_run(flow, state("RUNNING"), parent_task_run_id=parent_task.id)
    expired_documents = set().union(*(anonymous_documents_of(run) for run in expired))
    # The client saves an anonymous storage document on every run, used or not.
    unused_old, unused_new = make_document(), make_document()
    models.BlockDocument.objects.filter(id=unused_old.id).update(created=ago(CUTOFF_DAYS + 1))

    planned = retention.count_expired(cutoff())
    assert planned.as_dict() == {
        "flow_runs": 4,
        "task_runs": 6,
        "logs": 9,
        "artifacts": 6,
        "block_documents": 7,
        "flow_run_notification_queue": 0,
        "api_audit_event": 0,
    }
    assert models.FlowRun.objects.count() == 7  # the dry run deleted nothing

    done = retention.purge(cutoff())

    assert done.as_dict() == planned.as_dict()
    remaining = set(models.FlowRun.objects.values_list("id", flat=True))
    assert remaining == {recent.id, still_running.id, child.id}
    assert existing(expired_documents | {unused_old.id, unused_new.id}) == {unused_new.id}
    assert existing(anonymous_documents_of(recent)) == anonymous_documents_of(recent)
    child.refresh_from_db()
    assert child.parent_task_run_id is None
    assert_no_orphans()


def test_purge_works_in_transactions_of_at_most_batch_size_runs_or_rows(make_document, monkeypatch) -> None:
    flow = new_flow()
    for _ in range(5):
        full_run(flow, make_document, ended_days_ago=CUTOFF_DAYS + 1)
    deleted_per_call: list[int] = []
    for module, name in ((retention.flow_runs, "delete_flow_runs"), (retention.task_runs, "delete_task_runs")):
        original = getattr(module, name)

        def spy(rows, original=original):
            deleted_per_call.append(rows.count())
            return original(rows)

        monkeypatch.setattr(module, name, spy)

    with CaptureQueriesContext(connection) as queries:
        counts = retention.purge(cutoff(), batch_size=2)

    assert (counts.flow_runs, counts.task_runs, counts.logs) == (5, 10, 15)
    assert max(deleted_per_call) <= 2 and sum(deleted_per_call) == 15
    log_deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('DELETE FROM "log"')]
    assert len(log_deletes) >= 8  # 15 lines, two at a time
    assert models.FlowRun.objects.count() == 0
    assert_no_orphans()


def test_purged_by_age_tables_are_extension_points(make_document, monkeypatch) -> None:
    run = full_run(new_flow(), make_document)
    models.FlowRunNotificationQueue.objects.filter(flow_run_state_id=run.state_id).update(created=ago(CUTOFF_DAYS + 1))
    monkeypatch.setattr(retention, "PURGED_BY_AGE", [*retention.PURGED_BY_AGE, ("api.SavedSearch", "created")])

    counts = retention.purge(cutoff())

    assert counts.by_age == {"flow_run_notification_queue": 1, "api_audit_event": 0, "saved_search": 0}
    assert models.FlowRun.objects.filter(id=run.id).exists()


def test_old_audit_rows_are_purged_recent_ones_kept() -> None:
    fields = {"method": "POST", "path": "/api/flows/", "status": 201, "outcome": models.AuditEvent.Outcome.COMMITTED}
    old = crud_audit.create_audit_event(at=ago(CUTOFF_DAYS + 1), **fields)
    recent = crud_audit.create_audit_event(**fields)

    counts = retention.purge(cutoff())

    assert counts.by_age["api_audit_event"] == 1
    assert not models.AuditEvent.objects.filter(id=old.id).exists()
    assert models.AuditEvent.objects.filter(id=recent.id).exists()


def test_purge_pauses_after_every_transaction_and_stops_when_asked(make_document) -> None:
    flow = new_flow()
    for _ in range(4):
        full_run(flow, make_document, ended_days_ago=CUTOFF_DAYS + 1)
    pauses: list[float] = []

    def pause(busy: float) -> bool:
        pauses.append(busy)
        return len(pauses) < 5

    counts = retention.purge(cutoff(), batch_size=2, pause=pause)

    assert counts.stopped and len(pauses) == 5 and all(busy >= 0 for busy in pauses)
    # Stopped between transactions: whatever went, went whole.
    assert counts.flow_runs < 4
    assert_no_orphans()
    rest = retention.purge(cutoff())
    assert not rest.stopped and counts.flow_runs + rest.flow_runs == 4
    assert_no_orphans()
