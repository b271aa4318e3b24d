"""``api.crud.states``, ``flow_run_states`` and ``task_run_states``: state history read
oldest first, result data from the inline column or the result artifact."""

from __future__ import annotations

import uuid

import pytest

from api import models
from api.crud import flow_run_states, states, task_run_states
from tests.fixtures.rows import new_artifact, new_flow_run, new_task_run, not_found, set_columns, state

pytestmark = pytest.mark.django_db


def test_a_flow_runs_history_is_oldest_first_with_its_result():
    run = new_flow_run(None, state("RUNNING"), state("COMPLETED", data={"type": "literal", "value": 3}))
    history = flow_run_states.read_flow_run_states(run.id)
    assert [s.type.value for s in history] == ["RUNNING", "COMPLETED"]
    assert history[-1].data == {"type": "literal", "value": 3}
    assert flow_run_states.get_flow_run_state(history[0].id).type.value == "RUNNING"
    with not_found("Flow run state not found"):
        flow_run_states.get_flow_run_state(uuid.uuid4())
    assert flow_run_states.read_flow_run_states(uuid.uuid4()) == []


def test_a_task_runs_history_reads_the_same_way():
    task = new_task_run(new_flow_run(initial=state("RUNNING")), state("RUNNING"))
    history = task_run_states.read_task_run_states(task.id)
    assert [s.type.value for s in history] == ["RUNNING"]
    assert task_run_states.get_task_run_state(history[0].id).id == history[0].id
    # The original words a missing task run state as a flow run state.
    with not_found("Flow run state not found"):
        task_run_states.get_task_run_state(uuid.uuid4())


def test_inline_data_wins_over_the_result_artifact_and_none_stays_none():
    run = new_flow_run()
    row = models.FlowRunState.objects.select_related("result_artifact").get(pk=run.state_id)
    assert states.state_data(row) is None and states.to_schema(None) is None

    set_columns(row, result_artifact=new_artifact(data={"from": "artifact"}))
    row = models.FlowRunState.objects.select_related("result_artifact").get(pk=row.pk)
    assert states.to_schema(row).data == {"from": "artifact"}

    set_columns(row, data={"from": "column"})
    row = models.FlowRunState.objects.select_related("result_artifact").get(pk=row.pk)
    assert states.state_data(row) == {"from": "column"}
