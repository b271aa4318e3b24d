"""``api.crud.concurrency_limits``: upsert by tag keeping slots, paging by tag, resets
and deletes of unknown tags."""

from __future__ import annotations

import uuid

import pytest

from api.crud import concurrency_limits as crud
from api.schemas.actions import ConcurrencyLimitCreate
from tests.fixtures.rows import new_concurrency_limit, not_found, set_columns

pytestmark = pytest.mark.django_db


def test_creating_an_existing_tag_changes_its_limit_and_keeps_its_slots():
    first = new_concurrency_limit("db", 2)
    slot = str(uuid.uuid4())
    set_columns(first, active_slots=[slot])
    again = crud.create_concurrency_limit(ConcurrencyLimitCreate(tag="db", concurrency_limit=5))
    assert again.id == first.id
    row = crud.get_concurrency_limit_by_tag("db")
    assert (row.concurrency_limit, row.active_slots) == (5, [slot])


def test_limits_are_paged_in_tag_order():
    for tag in ("c", "a", "b"):
        new_concurrency_limit(tag, 1)
    assert [r.tag for r in crud.read_concurrency_limits()] == ["a", "b", "c"]
    assert [r.tag for r in crud.read_concurrency_limits(limit=1, offset=1)] == ["b"]
    assert crud.read_concurrency_limits(limit=0) == []
    assert crud.read_concurrency_limits(offset=5) == []


def test_reset_replaces_slots_and_reports_unknown_tags():
    new_concurrency_limit("q", 3)
    set_columns(crud.get_concurrency_limit_by_tag("q"), active_slots=[str(uuid.uuid4())])
    keep = uuid.uuid4()
    crud.reset_concurrency_limit_by_tag("q", slot_override=[keep])
    assert crud.get_concurrency_limit_by_tag("q").active_slots == [str(keep)]
    crud.reset_concurrency_limit_by_tag("q")
    assert crud.get_concurrency_limit_by_tag("q").active_slots == []
    with not_found("Concurrency limit not found"):
        crud.reset_concurrency_limit_by_tag("missing")


def test_deletes_say_whether_anything_was_deleted():
    row = new_concurrency_limit("gone", 1)
    new_concurrency_limit("by-tag", 1)
    crud.delete_concurrency_limit(row.id)
    with not_found("Concurrency limit not found"):
        crud.delete_concurrency_limit(row.id)
    with not_found("Concurrency limit not found"):
        crud.get_concurrency_limit(row.id)
    crud.delete_concurrency_limit_by_tag("by-tag")
    with not_found("Concurrency limit not found"):
        crud.delete_concurrency_limit_by_tag("by-tag")
