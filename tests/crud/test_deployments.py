"""``api.crud.deployments``: upsert by (flow, name), queue placement, deletes that take
the scheduled runs along, and runs from a deployment."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError

from api import models
from api.crud import deployments as crud
from api.schemas.actions import DeploymentCreate, DeploymentFlowRunCreate
from tests.fixtures.rows import (
    new_deployment,
    new_flow,
    new_flow_run,
    new_work_pool,
    not_found,
    schedule_runs,
    state,
)

pytestmark = pytest.mark.django_db

HOURLY = {"interval": 3600}


def test_creating_the_same_flow_and_name_updates_only_the_keys_sent():
    flow = new_flow()
    first, created = crud.create_deployment(DeploymentCreate(flow_id=flow.id, name="d", tags=["a"], parameters={"x": 1}))
    again, created_again = crud.create_deployment(DeploymentCreate(flow_id=flow.id, name="d", tags=["b"]))
    assert (created, created_again, again.id) == (True, False, first.id)
    again.refresh_from_db()
    assert (again.tags, again.parameters) == (["b"], {"x": 1})
    assert crud.get_deployment_by_name(flow.name, "d").id == first.id
    with not_found("Deployment not found"):
        crud.get_deployment_by_name(flow.name, "nope")


def test_a_deployment_of_an_unknown_pool_or_flow_is_refused():
    flow = new_flow()
    with not_found('Work pool "no-such-pool" not found.'):
        new_deployment(flow, work_pool_name="no-such-pool")
    with pytest.raises(IntegrityError):
        crud.create_deployment(DeploymentCreate(flow_id=uuid.uuid4(), name="d"))
    assert not models.Deployment.objects.exists()


def test_queue_placement_follows_pool_and_queue_names():
    pool = new_work_pool("placing")
    in_pool_default = new_deployment(work_pool_name="placing")
    named = new_deployment(work_pool_name="placing", work_queue_name="gpu")
    agent = new_deployment(work_queue_name="legacy")
    nowhere = new_deployment()
    assert in_pool_default.work_queue_id == pool.default_queue_id
    assert (named.work_queue.work_pool_id, named.work_queue_name) == (pool.id, "gpu")
    assert agent.work_queue.work_pool.name == "default-agent-pool"
    assert nowhere.work_queue_id is None



def test_delete_takes_its_scheduled_runs_but_keeps_started_ones():
    deployment = new_deployment(schedule=HOURLY)
    scheduled_runs = schedule_runs(deployment, min_runs=2, max_runs=2)
    started = new_flow_run(deployment.flow, state("RUNNING"), deployment_id=deployment.id)
    crud.delete_deployment(deployment.id)
    with not_found("Deployment not found"):
        crud.delete_deployment(deployment.id)
    assert not models.FlowRun.objects.filter(pk__in=[r.id for r in scheduled_runs]).exists()
    assert models.FlowRun.objects.filter(pk=started.pk).exists()


def test_a_run_from_a_deployment_overlays_parameters_and_unites_tags():
    deployment = new_deployment(parameters={"a": 1, "b": 2}, tags=["dep"], work_queue_name="q")
    run, created = crud.create_flow_run_from_deployment(
        deployment, DeploymentFlowRunCreate(parameters={"b": 3}, tags=["run"])
    )
    assert created and run.parameters == {"a": 1, "b": 3}
    assert set(run.tags) == {"dep", "run"} and run.work_queue_name == "q"
