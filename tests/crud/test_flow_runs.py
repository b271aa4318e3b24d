"""``api.crud.flow_runs``: idempotent creates, unknown flows refused, partial updates,
and deletes that take everything of the run along but keep its subflows, detached."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError

from api import models
from api.crud import flow_runs as crud
from api.crud.logs import create_logs
from api.schemas.actions import FlowRunCreate, FlowRunUpdate, LogCreate
from tests.fixtures.rows import new_artifact, new_flow, new_flow_run, new_task_run, not_found, state

pytestmark = pytest.mark.django_db


def test_an_idempotency_key_returns_the_first_run_untouched():
    flow = new_flow()
    first, created = crud.create_flow_run(FlowRunCreate(flow_id=flow.id, idempotency_key="k", state=state("RUNNING")))
    again, created_again = crud.create_flow_run(FlowRunCreate(flow_id=flow.id, idempotency_key="k", name="other"))
    assert (created, created_again, again.id, again.name) == (True, False, first.id, first.name)
    assert again.state_type == "RUNNING"
    # The key is per flow.
    _, created_elsewhere = crud.create_flow_run(FlowRunCreate(flow_id=new_flow().id, idempotency_key="k"))
    assert created_elsewhere


def test_a_run_gets_a_generated_name_and_pending_state():
    run, _ = crud.create_flow_run(FlowRunCreate(flow_id=new_flow().id))
    assert run.name and run.state_type == "PENDING"
    assert crud.read_flow_run(run.id).state.type == "PENDING"


def test_a_run_of_an_unknown_flow_is_refused():
    with pytest.raises(IntegrityError):
        crud.create_flow_run(FlowRunCreate(flow_id=uuid.uuid4()))
    assert not models.FlowRun.objects.exists()


def test_update_writes_only_the_keys_sent():
    run = new_flow_run(name="before", tags=["t"], parameters={"x": 1})
    crud.update_flow_run(run.id, FlowRunUpdate(name="after"))
    run.refresh_from_db()
    assert (run.name, run.tags, run.parameters) == ("after", ["t"], {"x": 1})
    with not_found("Flow run not found"):
        crud.update_flow_run(uuid.uuid4(), FlowRunUpdate(name="x"))


def test_delete_takes_task_runs_states_logs_and_artifacts_and_detaches_subflows():
    run = new_flow_run(None, state("RUNNING"))
    task = new_task_run(run, state("RUNNING"))
    subflow = new_flow_run(initial=state("RUNNING"), parent_task_run_id=task.id)
    create_logs([LogCreate(name="l", level=20, message="m", timestamp=run.created, flow_run_id=run.id)])
    new_artifact(flow_run_id=run.id, data=1)

    crud.delete_flow_run(run.id)
    with not_found("Flow run not found"):
        crud.delete_flow_run(run.id)
    for model in (models.TaskRun, models.FlowRunState, models.Log, models.Artifact):
        assert not model.objects.filter(flow_run_id=run.pk).exists(), model.__name__
    subflow.refresh_from_db()
    assert subflow.parent_task_run_id is None
