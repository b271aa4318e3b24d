"""``api.crud.task_runs``: create-or-get by (flow run, task key, dynamic key), unknown
flow runs refused, partial updates, deletes that detach sub-flow runs."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError

from api import models
from api.crud import task_runs as crud
from api.schemas.actions import TaskRunCreate, TaskRunUpdate
from tests.fixtures.rows import new_flow_run, new_task_run, not_found, state

pytestmark = pytest.mark.django_db


def test_the_same_keys_return_the_existing_task_run():
    run = new_flow_run(initial=state("RUNNING"))
    body = {"flow_run_id": run.id, "task_key": "mod.task", "dynamic_key": "0"}
    first, created = crud.create_task_run(TaskRunCreate(**body, state=state("RUNNING")))
    again, created_again = crud.create_task_run(TaskRunCreate(**body, name="other"))
    assert (created, created_again, again.id, again.state_type) == (True, False, first.id, "RUNNING")
    other, created_other = crud.create_task_run(TaskRunCreate(**{**body, "dynamic_key": "1"}))
    assert created_other and other.id != first.id and other.state_type == "PENDING"


def test_a_task_run_of_an_unknown_flow_run_is_refused():
    with pytest.raises(IntegrityError):
        crud.create_task_run(TaskRunCreate(flow_run_id=uuid.uuid4(), task_key="k", dynamic_key="0"))


def test_update_and_delete_report_missing_task_runs():
    task = new_task_run(new_flow_run(), name="before", tags=["t"])
    crud.update_task_run(task.id, TaskRunUpdate(name="after"))
    task.refresh_from_db()
    assert (task.name, task.tags) == ("after", ["t"])
    with not_found("Task run not found"):
        crud.update_task_run(uuid.uuid4(), TaskRunUpdate(name="x"))
    with not_found("Task not found"):
        crud.get_task_run(uuid.uuid4())


def test_delete_takes_states_and_detaches_subflow_runs():
    parent = new_flow_run(initial=state("RUNNING"))
    task = new_task_run(parent, state("RUNNING"))
    subflow = new_flow_run(initial=state("RUNNING"), parent_task_run_id=task.id)
    crud.delete_task_run(task.id)
    with not_found("Task not found"):
        crud.delete_task_run(task.id)
    assert not models.TaskRunState.objects.filter(task_run_id=task.pk).exists()
    subflow.refresh_from_db()
    assert subflow.parent_task_run_id is None
    assert models.FlowRun.objects.filter(pk=parent.pk).exists()
