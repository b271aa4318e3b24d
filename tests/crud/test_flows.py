"""``api.crud.flows``: create-or-get by name (tags of a later create ignored), partial
updates, and deletes that take the flow's runs and deployments with them."""

from __future__ import annotations

import uuid

import pytest

from api import models
from api.crud import flows as crud
from api.schemas.actions import FlowCreate, FlowUpdate
from tests.fixtures.rows import new_deployment, new_flow, new_flow_run, new_task_run, not_found

pytestmark = pytest.mark.django_db


def test_creating_a_taken_name_returns_the_stored_flow_untouched():
    first, created = crud.create_flow(FlowCreate(name="etl", tags=["a"]))
    again, created_again = crud.create_flow(FlowCreate(name="etl", tags=["b"]))
    assert (created, created_again, again.id, again.tags) == (True, False, first.id, ["a"])
    assert crud.get_flow_by_name("etl").id == first.id
    with not_found("Flow not found"):
        crud.get_flow_by_name("ETL")
    with not_found("Flow not found"):
        crud.get_flow(uuid.uuid4())


def test_update_writes_only_the_keys_sent():
    flow = new_flow("tagged", tags=["old"])
    crud.update_flow(flow.id, FlowUpdate(tags=["new"]))
    flow.refresh_from_db()
    assert (flow.name, flow.tags) == ("tagged", ["new"])
    with not_found("Flow not found"):
        crud.update_flow(uuid.uuid4(), FlowUpdate(tags=[]))


def test_delete_takes_runs_task_runs_states_and_deployments_along():
    flow = new_flow()
    run = new_flow_run(flow)
    task = new_task_run(run)
    deployment = new_deployment(flow)
    kept = new_flow_run()

    crud.delete_flow(flow.id)
    with not_found("Flow not found"):
        crud.delete_flow(flow.id)
    assert not models.FlowRun.objects.filter(pk=run.pk).exists()
    assert not models.TaskRun.objects.filter(pk=task.pk).exists()
    assert not models.FlowRunState.objects.filter(flow_run_id=run.pk).exists()
    assert not models.Deployment.objects.filter(pk=deployment.pk).exists()
    assert models.FlowRun.objects.filter(pk=kept.pk).exists()
