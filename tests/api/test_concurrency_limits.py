"""``/concurrency_limits``: upsert by tag, read by id and tag, list, reset, delete."""

from __future__ import annotations

import uuid

import pytest

from tests.fixtures.http import call, post

pytestmark = pytest.mark.django_db


def _create(client, tag: str, limit: int):
    return post(client, "/concurrency_limits/", {"tag": tag, "concurrency_limit": limit})


def test_create_is_an_upsert_by_tag_that_keeps_active_slots(client):
    created = _create(client, "db", 2)
    assert created.status_code == 200
    limit = created.json()
    assert (limit["tag"], limit["concurrency_limit"], limit["active_slots"]) == ("db", 2, [])

    slot = str(uuid.uuid4())
    assert post(client, "/concurrency_limits/tag/db/reset", {"slot_override": [slot]}).json() is None
    updated = _create(client, "db", 5)
    assert updated.status_code == 200
    assert updated.json()["id"] == limit["id"]
    assert (updated.json()["concurrency_limit"], updated.json()["active_slots"]) == (5, [slot])

    assert _create(client, "db", "lots").status_code == 422
    assert post(client, "/concurrency_limits/", {"tag": "x", "concurrency_limit": 1, "extra": 1}).status_code == 422


def test_read_by_id_and_tag(client):
    limit = _create(client, "api", 1).json()
    assert call(client, "get", f"/concurrency_limits/{limit['id']}").json()["tag"] == "api"
    assert call(client, "get", "/concurrency_limits/tag/api").json()["id"] == limit["id"]
    assert call(client, "get", f"/concurrency_limits/{uuid.uuid4()}").json() == {"detail": "Concurrency limit not found"}
    missing = call(client, "get", "/concurrency_limits/tag/nope")
    assert missing.status_code == 404 and missing.json() == {"detail": "Concurrency limit not found"}


def test_list_by_tag_with_paging(client):
    for tag in ("c", "a", "b"):
        _create(client, tag, 1)
    assert [limit["tag"] for limit in post(client, "/concurrency_limits/filter").json()] == ["a", "b", "c"]
    assert [limit["tag"] for limit in post(client, "/concurrency_limits/filter", {"limit": 1, "offset": 2}).json()] == ["c"]
    assert post(client, "/concurrency_limits/filter", {"limit": 300}).status_code == 422


def test_reset_clears_or_overrides_slots(client):
    _create(client, "io", 3)
    slots = [str(uuid.uuid4()), str(uuid.uuid4())]
    response = post(client, "/concurrency_limits/tag/io/reset", {"slot_override": slots})
    assert response.status_code == 200 and response.content == b"null"
    assert call(client, "get", "/concurrency_limits/tag/io").json()["active_slots"] == slots
    post(client, "/concurrency_limits/tag/io/reset")
    assert call(client, "get", "/concurrency_limits/tag/io").json()["active_slots"] == []
    missing = post(client, "/concurrency_limits/tag/nope/reset", {})
    assert missing.status_code == 404
    assert post(client, "/concurrency_limits/tag/io/reset", {"slot_override": ["not-a-uuid"]}).status_code == 422


def test_delete_by_id_and_tag_answers_200_null(client):
    first = _create(client, "one", 1).json()
    _create(client, "two", 1)
    by_id = call(client, "delete", f"/concurrency_limits/{first['id']}")
    assert by_id.status_code == 200 and by_id.content == b"null"
    by_tag = call(client, "delete", "/concurrency_limits/tag/two")
    assert by_tag.status_code == 200 and by_tag.content == b"null"
    assert post(client, "/concurrency_limits/filter").json() == []
    assert call(client, "delete", f"/concurrency_limits/{first['id']}").status_code == 404
    assert call(client, "delete", "/concurrency_limits/tag/two").json() == {"detail": "Concurrency limit not found"}
