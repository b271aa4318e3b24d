"""``api.crud.block_schemas``: registration idempotent per (checksum, version), nested
block schemas registered and linked, reads by checksum, capabilities, deletes."""

from __future__ import annotations

import pytest

from api import models
from api.crud import block_schemas as crud
from api.schemas import filters
from api.schemas.actions import BlockSchemaCreate
from tests.fixtures.rows import new_block_document, new_block_schema, new_block_type

pytestmark = pytest.mark.django_db

FIELDS = {"title": "Creds", "type": "object", "properties": {"token": {"type": "string"}}}


def test_registering_the_same_fields_twice_returns_the_first_schema():
    block_type = new_block_type("creds")
    first, created = crud.create_block_schema(BlockSchemaCreate(block_type_id=block_type.id, fields=FIELDS))
    again, created_again = crud.create_block_schema(BlockSchemaCreate(block_type_id=block_type.id, fields=FIELDS))
    assert (created, created_again, again.id) == (True, False, first.id)
    assert first.checksum.startswith("sha256:")
    assert first.fields["block_schema_references"] == {}
    # Another version of the same fields is another schema.
    other, created = crud.create_block_schema(BlockSchemaCreate(block_type_id=block_type.id, fields=FIELDS, version="2.0"))
    assert created and other.id != first.id
    assert crud.read_block_schema_by_checksum(first.checksum, "2.0").id == other.id
    assert crud.read_block_schema_by_checksum(first.checksum, "non-versioned").id == first.id
    assert crud.read_block_schema_by_checksum("sha256:nothing") is None


def test_nested_blocks_are_linked_to_their_schemas():
    inner_type = new_block_type("inner")
    inner = new_block_schema(inner_type, FIELDS)
    fields = {
        "title": "Outer",
        "type": "object",
        "properties": {"creds": {"$ref": "#/definitions/Creds"}},
        "definitions": {"Creds": FIELDS},
        "block_schema_references": {"creds": {"block_type_slug": "inner", "block_schema_checksum": inner.checksum}},
    }
    outer = new_block_schema(new_block_type("outer"), fields)
    links = models.BlockSchemaReference.objects.filter(parent_block_schema=outer)
    assert [(link.name, link.reference_block_schema_id) for link in links] == [("creds", inner.id)]


def test_schemas_are_read_newest_first_and_filtered_by_capability():
    block_type = new_block_type("caps")
    old = new_block_schema(block_type, {**FIELDS, "title": "Old"}, capabilities=["write-path"])
    new = new_block_schema(block_type, {**FIELDS, "title": "New"}, capabilities=["read-path", "write-path"])
    assert [s.id for s in crud.read_block_schemas()][:2] == [new.id, old.id]
    readable = filters.BlockSchemaFilter.model_validate({"block_capabilities": {"all_": ["read-path"]}})
    assert [s.id for s in crud.read_block_schemas(readable)] == [new.id]
    assert [s.id for s in crud.read_block_schemas(limit=1, offset=1)] == [old.id]
    assert {"read-path", "write-path"} <= set(crud.read_available_block_capabilities())
    assert crud.read_available_block_capabilities() == sorted(set(crud.read_available_block_capabilities()))


def test_deleting_a_schema_deletes_its_documents():
    document = new_block_document()
    crud.delete_block_schema(document.block_schema_id)
    assert crud.read_block_schema(document.block_schema_id) is None
    assert not models.BlockDocument.objects.filter(pk=document.pk).exists()
