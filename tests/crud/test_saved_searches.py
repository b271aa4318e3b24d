"""``api.crud.saved_searches``: upsert by name replacing filters, paging by name, deletes."""

from __future__ import annotations

import uuid

import pytest

from api.crud import saved_searches as crud
from api.schemas.actions import SavedSearchCreate
from tests.fixtures.rows import not_found

pytestmark = pytest.mark.django_db

FILTER = {"object": "flow", "property": "name", "type": "string", "operation": "equals", "value": "etl"}


def test_saving_a_taken_name_replaces_its_filters():
    first, created = crud.create_saved_search(SavedSearchCreate(name="mine", filters=[FILTER]))
    assert created and first.filters == [FILTER]
    again, created = crud.create_saved_search(SavedSearchCreate(name="mine"))
    assert (again.id, created) == (first.id, False)
    assert crud.get_saved_search(first.id).filters == []


def test_searches_are_paged_in_name_order_and_deleted_once():
    rows = {name: crud.create_saved_search(SavedSearchCreate(name=name))[0] for name in ("b", "c", "a")}
    assert [s.name for s in crud.read_saved_searches()] == ["a", "b", "c"]
    assert [s.name for s in crud.read_saved_searches(limit=2, offset=1)] == ["b", "c"]
    crud.delete_saved_search(rows["a"].id)
    with not_found("Saved search not found"):
        crud.delete_saved_search(rows["a"].id)
    with not_found("Saved search not found"):
        crud.get_saved_search(uuid.uuid4())
