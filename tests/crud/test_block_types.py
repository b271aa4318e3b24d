"""``api.crud.block_types``: escaped text on create, duplicate slugs, filters by their
schemas, partial updates and cascade deletes."""

from __future__ import annotations

import uuid

import pytest

from api import models
from api.crud import block_types as crud
from api.schemas import filters
from api.schemas.actions import BlockTypeCreate, BlockTypeUpdate
from api.errors import ConflictError
from tests.fixtures.rows import new_block_document, new_block_schema, new_block_type, not_found

pytestmark = pytest.mark.django_db


def test_description_and_code_example_are_stored_html_escaped():
    row = crud.create_block_type(
        BlockTypeCreate(name="Escaped", slug="escaped", description="<b>x</b> & y", code_example="a < b")
    )
    assert (row.description, row.code_example) == ("&lt;b&gt;x&lt;/b&gt; &amp; y", "a &lt; b")
    assert row.is_protected is False


def test_a_taken_slug_is_refused_and_leaves_the_transaction_usable():
    new_block_type("taken")
    with pytest.raises(ConflictError) as taken:
        crud.create_block_type(BlockTypeCreate(name="Other", slug="taken"))
    assert taken.value.detail == 'Block type with name "Other" already exists'
    assert crud.read_block_type_by_slug("taken").name == "taken"


def test_types_are_filtered_by_name_and_by_their_schemas_capabilities():
    storage = new_block_type("storage-type", name="Storage")
    new_block_schema(storage, capabilities=["read-path"])
    new_block_type("plain-type", name="Plain")
    new_block_type("bare-type", name="Bare")  # no schema at all

    def names(**kwargs):
        return [row.name for row in crud.read_block_types(**kwargs)]

    assert names() == ["Bare", "Plain", "Storage"]
    assert names(limit=1, offset=1) == ["Plain"]
    assert names(block_type_filter=filters.BlockTypeFilter.model_validate({"name": {"like_": "ora"}})) == ["Storage"]
    capable = filters.BlockSchemaFilter.model_validate({"block_capabilities": {"all_": ["read-path"]}})
    assert names(block_schema_filter=capable) == ["Storage"]


def test_update_changes_only_the_fields_sent_and_reports_missing_types():
    row = new_block_type("upd", description="kept", logo_url="https://example.com/a.png")
    crud.update_block_type(row.id, BlockTypeUpdate(description="new <i>"))
    row.refresh_from_db()
    # Updates are stored verbatim (only creation escapes).
    assert (row.description, row.logo_url) == ("new <i>", "https://example.com/a.png")
    with not_found("Block type not found"):
        crud.update_block_type(uuid.uuid4(), BlockTypeUpdate(description="x"))


def test_deleting_a_type_deletes_its_schemas_and_documents():
    document = new_block_document()
    block_type = document.block_type
    crud.delete_block_type(block_type.id)
    with not_found("Block type not found"):
        crud.get_block_type(block_type.id)
    assert not models.BlockSchema.objects.filter(block_type_id=block_type.id).exists()
    assert not models.BlockDocument.objects.filter(pk=document.pk).exists()
