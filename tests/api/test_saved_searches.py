"""``/saved_searches``: upsert by name, read, list, delete."""

from __future__ import annotations

import uuid

import pytest

from tests.fixtures.http import call, post

pytestmark = pytest.mark.django_db

FILTER = {"object": "flow_run", "property": "state", "type": "state", "operation": "or", "value": ["Failed"]}


def test_put_creates_then_replaces_filters(client):
    created = call(client, "put", "/saved_searches/", {"name": "failures", "filters": [FILTER]})
    assert created.status_code == 201
    assert created.json()["filters"] == [FILTER]
    replaced = call(client, "put", "/saved_searches/", {"name": "failures"})
    assert replaced.status_code == 200
    assert replaced.json()["id"] == created.json()["id"] and replaced.json()["filters"] == []
    incomplete = call(client, "put", "/saved_searches/", {"name": "x", "filters": [{"object": "flow"}]})
    assert incomplete.status_code == 422
    assert call(client, "put", "/saved_searches/", {"name": "x", "other": 1}).status_code == 422


def test_read_list_and_delete(client):
    ids = {name: call(client, "put", "/saved_searches/", {"name": name}).json()["id"] for name in ("b", "a", "c")}
    assert call(client, "get", f"/saved_searches/{ids['a']}").json()["name"] == "a"
    missing = call(client, "get", f"/saved_searches/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json() == {"detail": "Saved search not found"}
    assert [search["name"] for search in post(client, "/saved_searches/filter").json()] == ["a", "b", "c"]
    assert [search["name"] for search in post(client, "/saved_searches/filter", {"offset": 1, "limit": 1}).json()] == ["b"]
    assert call(client, "delete", f"/saved_searches/{ids['b']}").status_code == 204
    assert call(client, "delete", f"/saved_searches/{ids['b']}").json() == {"detail": "Saved search not found"}
    assert [search["name"] for search in post(client, "/saved_searches/filter").json()] == ["a", "c"]
