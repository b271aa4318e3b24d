"""``/task_run_states``: a task run's state history, read back with result data."""

from __future__ import annotations

import uuid

import pytest

from tests.fixtures.http import post
from tests.fixtures.rows import new_flow_run, new_task_run, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def task_run_id() -> str:
    return str(new_task_run(new_flow_run(initial=state("RUNNING")), task_key="k").id)


def test_history_is_listed_oldest_first_with_result_data(client, task_run_id) -> None:
    post(client, f"/task_runs/{task_run_id}/set_state", {"state": {"type": "RUNNING"}})
    completed = post(
        client,
        f"/task_runs/{task_run_id}/set_state",
        {"state": {"type": "COMPLETED", "data": {"type": "unpersisted", "artifact_description": "x"}}},
    ).json()["state"]

    response = client.get("/api/task_run_states/", {"task_run_id": task_run_id})
    assert response.status_code == 200
    states = response.json()
    assert [s["type"] for s in states] == ["PENDING", "RUNNING", "COMPLETED"]
    assert states[-1] == completed
    assert states[-1]["data"] == {"type": "unpersisted"}
    assert all(s["state_details"]["task_run_id"] == task_run_id for s in states)


def test_one_state_by_id(client, task_run_id) -> None:
    state_id = post(client, f"/task_runs/{task_run_id}/set_state", {"state": {"type": "RUNNING"}}).json()["state"]["id"]
    response = client.get(f"/api/task_run_states/{state_id}")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["type"]) == (state_id, "RUNNING")


def test_missing_state_answers_the_original_text(client, db) -> None:
    response = client.get(f"/api/task_run_states/{uuid.uuid4()}")
    assert (response.status_code, response.json()) == (404, {"detail": "Flow run state not found"})
    assert client.get("/api/task_run_states/").status_code == 422
