"""``/flow_run_notification_policies``: create (template checked), read, filter with its
default quirk, update, delete."""

from __future__ import annotations

import uuid

import pytest

from tests.fixtures.http import call, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def block_id(client):
    """A saved block document to notify through, made through the API."""
    block_type = post(client, "/block_types/", {"name": "Notifier", "slug": "notifier"}).json()
    schema = post(
        client,
        "/block_schemas/",
        {"block_type_id": block_type["id"], "fields": {"title": "Notifier", "properties": {}}, "capabilities": ["notify"]},
    ).json()
    document = post(
        client,
        "/block_documents/",
        {"name": "hook", "data": {}, "block_schema_id": schema["id"], "block_type_id": block_type["id"]},
    )
    assert document.status_code == 201, document.content
    return document.json()["id"]


def make_policy(client, block_id, **fields):
    body = {"state_names": ["Failed"], "tags": [], "block_document_id": block_id, **fields}
    response = post(client, "/flow_run_notification_policies/", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_create_and_read(client, block_id):
    policy = make_policy(client, block_id, tags=["prod"], message_template="{flow_name} is {flow_run_state_name}")
    assert policy["is_active"] is True and policy["state_names"] == ["Failed"] and policy["tags"] == ["prod"]
    assert policy["block_document_id"] == block_id
    assert call(client, "get", f"/flow_run_notification_policies/{policy['id']}").json() == policy

    missing = call(client, "get", f"/flow_run_notification_policies/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json() == {"detail": "flow run notification policy not found"}


def test_create_refusals(client, block_id):
    bogus = post(
        client,
        "/flow_run_notification_policies/",
        {"state_names": [], "tags": [], "block_document_id": block_id, "message_template": "{bogus} run"},
    )
    assert bogus.status_code == 422
    assert "Invalid template variable provided: 'bogus'" in bogus.json()["exception_detail"][0]["msg"]
    unknown_block = post(
        client, "/flow_run_notification_policies/", {"state_names": [], "tags": [], "block_document_id": str(uuid.uuid4())}
    )
    assert unknown_block.status_code == 409
    assert post(client, "/flow_run_notification_policies/", {"state_names": [], "tags": []}).status_code == 422


def test_filter_default_lists_inactive_only_when_the_filter_is_sent(client, block_id):
    active = make_policy(client, block_id)
    inactive = make_policy(client, block_id, is_active=False)
    everything = post(client, "/flow_run_notification_policies/filter", {}).json()
    assert sorted(item["id"] for item in everything) == sorted([active["id"], inactive["id"]])
    # The filter object defaults to is_active == false.
    only_inactive = post(client, "/flow_run_notification_policies/filter", {"flow_run_notification_policy_filter": {}})
    assert [item["id"] for item in only_inactive.json()] == [inactive["id"]]
    only_active = post(
        client,
        "/flow_run_notification_policies/filter",
        {"flow_run_notification_policy_filter": {"is_active": {"eq_": True}}},
    )
    assert [item["id"] for item in only_active.json()] == [active["id"]]
    page = post(client, "/flow_run_notification_policies/filter", {"limit": 1}).json()
    assert len(page) == 1 and page[0]["id"] == min(active["id"], inactive["id"])


def test_update_and_delete(client, block_id):
    policy = make_policy(client, block_id)
    response = call(
        client, "patch", f"/flow_run_notification_policies/{policy['id']}", {"is_active": False, "tags": ["x"]}
    )
    assert response.status_code == 204
    updated = call(client, "get", f"/flow_run_notification_policies/{policy['id']}").json()
    assert updated["is_active"] is False and updated["tags"] == ["x"] and updated["state_names"] == ["Failed"]

    bad_template = call(
        client, "patch", f"/flow_run_notification_policies/{policy['id']}", {"message_template": "{nope}"}
    )
    assert bad_template.status_code == 422
    missing = call(client, "patch", f"/flow_run_notification_policies/{uuid.uuid4()}", {"is_active": True})
    assert missing.status_code == 404

    assert call(client, "delete", f"/flow_run_notification_policies/{policy['id']}").status_code == 204
    assert call(client, "delete", f"/flow_run_notification_policies/{policy['id']}").status_code == 404
