"""``/experimental/artifacts``: the feature flag, create, read, filter, update, delete."""

from __future__ import annotations

import uuid

import pytest

from tests.fixtures.http import call, post
from tests.fixtures.rows import new_artifact, new_flow_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def enabled(settings):
    settings.PREFECT_EXPERIMENTAL_ENABLE_ARTIFACTS = True


def test_disabled_by_default_except_filter(client):
    new_artifact(key="stored", data=1)
    disabled = {"detail": "Artifacts are not enabled"}
    assert post(client, "/experimental/artifacts/", {"key": "k"}).json() == disabled
    assert post(client, "/experimental/artifacts/", {"key": "k"}).status_code == 404
    some_id = uuid.uuid4()
    assert call(client, "get", f"/experimental/artifacts/{some_id}").json() == disabled
    assert call(client, "patch", f"/experimental/artifacts/{some_id}", {"data": 1}).status_code == 404
    assert call(client, "delete", f"/experimental/artifacts/{some_id}").status_code == 404
    listed = post(client, "/experimental/artifacts/filter", {})
    assert listed.status_code == 200 and [item["key"] for item in listed.json()] == ["stored"]


def test_create_read_update_delete(client, enabled):
    run = new_flow_run()
    body = {
        "key": "report",
        "type": "markdown",
        "data": {"rows": 3},
        "metadata_": {"long": "x" * 600},
        "flow_run_id": str(run.id),
    }
    created = post(client, "/experimental/artifacts/", body)
    assert created.status_code == 201
    artifact = created.json()
    assert artifact["key"] == "report" and artifact["data"] == {"rows": 3}
    assert artifact["metadata_"]["long"] == "x" * 500 + "..."
    assert artifact["flow_run_id"] == str(run.id) and artifact["task_run_id"] is None
    assert call(client, "get", f"/experimental/artifacts/{artifact['id']}").json() == artifact

    assert call(client, "patch", f"/experimental/artifacts/{artifact['id']}", {"description": "d"}).status_code == 204
    updated = call(client, "get", f"/experimental/artifacts/{artifact['id']}").json()
    assert updated["description"] == "d" and updated["data"] == {"rows": 3}

    assert call(client, "delete", f"/experimental/artifacts/{artifact['id']}").status_code == 204
    missing = call(client, "get", f"/experimental/artifacts/{artifact['id']}")
    assert missing.status_code == 404 and missing.json() == {"detail": "Artifact not found."}
    assert call(client, "patch", f"/experimental/artifacts/{artifact['id']}", {"data": 1}).status_code == 404
    assert call(client, "delete", f"/experimental/artifacts/{artifact['id']}").status_code == 404


def test_create_validation(client, enabled):
    assert post(client, "/experimental/artifacts/", {"key": "Bad Key"}).status_code == 422
    assert post(client, "/experimental/artifacts/", {"bogus": 1}).status_code == 422
    assert post(client, "/experimental/artifacts/", {}).status_code == 201


def test_filter_and_sort(client, enabled):
    run = new_flow_run(tags=["mine"])
    for key in ("b-key", "a-key", "c-key"):
        post(client, "/experimental/artifacts/", {"key": key, "flow_run_id": str(run.id) if key != "c-key" else None})
    keys = lambda response: [item["key"] for item in response.json()]  # noqa: E731
    assert keys(post(client, "/experimental/artifacts/filter", {"sort": "KEY_ASC"})) == ["a-key", "b-key", "c-key"]
    assert keys(post(client, "/experimental/artifacts/filter", {"sort": "KEY_DESC", "limit": 1})) == ["c-key"]
    by_key = post(client, "/experimental/artifacts/filter", {"artifacts": {"key": {"like_": "A-K"}}})
    assert keys(by_key) == ["a-key"]
    by_run = post(
        client, "/experimental/artifacts/filter", {"sort": "KEY_ASC", "flow_runs": {"tags": {"all_": ["mine"]}}}
    )
    assert keys(by_run) == ["a-key", "b-key"]
    assert post(client, "/experimental/artifacts/filter", {"sort": "NOPE"}).status_code == 422
