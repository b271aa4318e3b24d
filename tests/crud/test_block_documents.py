"""``api.crud.block_documents``: encrypted data round trips, secrets obfuscated unless
asked for, references checked and hydrated, anonymous documents hidden, updates that
merge or replace, schema migrations within a block type."""

from __future__ import annotations

import uuid

import pytest

from api import models
from api.crud import block_documents as crud
from api.errors import ConflictError, InvalidInputError, NotFoundError, UnprocessableError
from api.schemas import filters
from api.schemas.actions import BlockDocumentCreate, BlockDocumentUpdate
from tests.fixtures.rows import new_block_document, new_block_schema, new_block_type, not_found

pytestmark = pytest.mark.django_db

SECRET_FIELDS = {
    "title": "Login",
    "type": "object",
    "properties": {"user": {"type": "string"}, "password": {"type": "string", "format": "password"}},
    "secret_fields": ["password"],
}


@pytest.fixture
def login_schema() -> models.BlockSchema:
    return new_block_schema(new_block_type("login"), SECRET_FIELDS)


def test_data_is_stored_encrypted_and_read_back(login_schema):
    row = new_block_document(login_schema, "db", {"user": "ana", "password": "s3cret"})
    assert "s3cret" not in str(models.BlockDocument.objects.get(pk=row.pk).data)

    hidden = crud.read_block_document(row.id)
    assert hidden.data == {"user": "ana", "password": crud.OBFUSCATED}
    assert crud.read_block_document(row.id, include_secrets=True).data == {"user": "ana", "password": "s3cret"}
    assert crud.get_block_document_by_name("db", "login", include_secrets=True).data["password"] == "s3cret"
    with not_found("Block document not found"):
        crud.get_block_document_by_name("db", "other-type")
    assert crud.read_block_document(uuid.uuid4()) is None


def test_obfuscation_leaves_null_secrets_and_other_fields_alone():
    data = {"password": None, "nested": {"token": "t", "keep": 1}, "user": "u"}
    assert crud.obfuscate_secrets(data, ["password", "nested.token"]) == {
        "password": None,
        "nested": {"token": crud.OBFUSCATED, "keep": 1},
        "user": "u",
    }
    assert crud.obfuscate_secrets(data, []) is data


def test_a_taken_name_for_the_block_type_is_refused(login_schema):
    new_block_document(login_schema, "db")
    with pytest.raises(ConflictError) as taken:
        new_block_document(login_schema, "db")
    assert taken.value.detail == "Block already exists"


def test_unknown_schema_type_or_reference_is_refused(login_schema):
    with pytest.raises(NotFoundError) as missing_schema:
        crud.create_block_document(
            BlockDocumentCreate(name="x", block_schema_id=uuid.uuid4(), block_type_id=login_schema.block_type_id)
        )
    assert missing_schema.value.detail == "Block schema not found"
    with pytest.raises(NotFoundError) as missing_type:
        crud.create_block_document(BlockDocumentCreate(name="x", block_schema_id=login_schema.id, block_type_id=uuid.uuid4()))
    assert missing_type.value.detail == "Block type not found"
    target = uuid.uuid4()
    with pytest.raises(NotFoundError) as missing_reference:
        new_block_document(login_schema, "x", {"inner": {"$ref": {"block_document_id": str(target)}}})
    assert missing_reference.value.detail == f"Block document {target} not found."
    with pytest.raises(UnprocessableError):
        new_block_document(login_schema, "y", {"inner": {"$ref": {"no_id": 1}}})
    assert not models.BlockDocument.objects.exists()


def test_references_are_hydrated_into_the_parent(login_schema):
    inner = new_block_document(login_schema, "inner", {"user": "u", "password": "p"})
    outer = new_block_document(login_schema, "outer", {"inner": {"$ref": {"block_document_id": str(inner.id)}}})
    read = crud.read_block_document(outer.id, include_secrets=True)
    assert read.data["inner"] == {"user": "u", "password": "p"}
    assert read.block_document_references["inner"]["block_document"]["id"] == str(inner.id)


def test_anonymous_documents_get_a_name_and_are_hidden_by_default(login_schema):
    anonymous = new_block_document(login_schema, is_anonymous=True)
    assert anonymous.name.startswith("anonymous-")
    new_block_document(login_schema, "named")
    assert [d.name for d in crud.read_block_documents()] == ["named"]
    everything = filters.BlockDocumentFilter.model_validate({"is_anonymous": None})
    assert {d.name for d in crud.read_block_documents(everything)} == {"named", anonymous.name}
    assert crud.read_block_document(anonymous.id) is not None


def test_update_merges_by_default_and_keeps_obfuscated_secrets(login_schema):
    row = new_block_document(login_schema, "db", {"user": "ana", "password": "s3cret"})
    crud.update_block_document(row.id, BlockDocumentUpdate(data={"user": "bo", "password": crud.OBFUSCATED}))
    assert crud.read_block_document(row.id, include_secrets=True).data == {"user": "bo", "password": "s3cret"}

    replace = BlockDocumentUpdate(data={"user": "cy"}, merge_existing_data=False)
    crud.update_block_document(row.id, replace)
    assert crud.read_block_document(row.id, include_secrets=True).data == {"user": "cy"}
    with not_found("Block document not found"):
        crud.update_block_document(uuid.uuid4(), replace)


def test_a_schema_change_must_stay_in_the_block_type(login_schema):
    row = new_block_document(login_schema, "db", {"user": "ana"})
    foreign = new_block_schema(new_block_type("foreign"))
    with pytest.raises(InvalidInputError) as refused:
        crud.update_block_document(row.id, BlockDocumentUpdate(data={}, block_schema_id=foreign.id))
    assert refused.value.detail == "Must migrate block document to a block schema of the same block type."
    newer = new_block_schema(login_schema.block_type, {**SECRET_FIELDS, "title": "Login v2"})
    crud.update_block_document(row.id, BlockDocumentUpdate(data={"user": "ana"}, block_schema_id=newer.id))
    assert models.BlockDocument.objects.get(pk=row.pk).block_schema_id == newer.id


def test_delete_removes_the_document_and_its_references(login_schema):
    inner = new_block_document(login_schema, "inner")
    outer = new_block_document(login_schema, "outer", {"inner": {"$ref": {"block_document_id": str(inner.id)}}})
    crud.delete_block_document(outer.id)
    with not_found("Block document not found"):
        crud.delete_block_document(outer.id)
    assert not models.BlockDocumentReference.objects.filter(parent_block_document_id=outer.id).exists()
    assert crud.read_block_document(inner.id) is not None
