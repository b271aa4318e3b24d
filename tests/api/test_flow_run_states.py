"""``/flow_run_states``: a flow run's state history, read back with result data."""

from __future__ import annotations

import uuid

import pytest

from tests.fixtures.http import post
from tests.fixtures.rows import new_flow_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow_run_id() -> str:
    return str(new_flow_run().id)


def test_history_is_listed_oldest_first_with_result_data(client, flow_run_id) -> None:
    post(client, f"/flow_runs/{flow_run_id}/set_state", {"state": {"type": "RUNNING"}})
    completed = post(
        client,
        f"/flow_runs/{flow_run_id}/set_state",
        {"state": {"type": "COMPLETED", "data": {"type": "literal", "value": 3, "artifact_type": "result"}}},
    ).json()["state"]
    # A refused proposal leaves no trace in the history.
    post(client, f"/flow_runs/{flow_run_id}/set_state", {"state": {"type": "RUNNING"}})

    response = client.get("/api/flow_run_states/", {"flow_run_id": flow_run_id})
    assert response.status_code == 200
    states = response.json()
    assert [s["name"] for s in states] == ["Pending", "Running", "Completed"]
    assert [s["timestamp"] for s in states] == sorted(s["timestamp"] for s in states)
    assert states[-1] == completed
    assert states[-1]["data"] == {"type": "literal", "value": 3}
    assert states[0]["data"] is None
    assert all(s["state_details"]["flow_run_id"] == flow_run_id for s in states)


def test_one_state_by_id(client, flow_run_id) -> None:
    state = post(client, f"/flow_runs/{flow_run_id}/set_state", {"state": {"type": "RUNNING", "message": "go"}})
    state_id = state.json()["state"]["id"]
    response = client.get(f"/api/flow_run_states/{state_id}")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["type"], body["name"], body["message"]) == (state_id, "RUNNING", "Running", "go")
    assert body["timestamp"].endswith("+00:00")


def test_missing_state_and_missing_query(client, db) -> None:
    response = client.get(f"/api/flow_run_states/{uuid.uuid4()}")
    assert (response.status_code, response.json()) == (404, {"detail": "Flow run state not found"})
    response = client.get("/api/flow_run_states/")
    assert response.status_code == 422
    assert response.json()["exception_detail"][0]["loc"] == ["query", "flow_run_id"]


def test_unknown_run_has_no_states(client, db) -> None:
    response = client.get("/api/flow_run_states/", {"flow_run_id": str(uuid.uuid4())})
    assert (response.status_code, response.json()) == (200, [])
