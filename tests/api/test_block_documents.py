"""Block document routes: saving (encrypted at rest), reading with secrets obfuscated
unless asked for, nested documents, the anonymous default filter, PATCH semantics,
deletion, and a constant number of queries per page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import models
from api.blocks import encryption
from api.crud import block_schemas, block_types
from api.crud import filters as filter_q
from api.schemas import actions, filters

pytestmark = pytest.mark.django_db

JSON = "application/json"
MASK = "********"

CREDENTIALS_FIELDS = {
    "title": "Credentials",
    "type": "object",
    "properties": {
        "username": {"type": "string"},
        "password": {"type": "string", "format": "password", "writeOnly": True},
        "headers": {"type": "object"},
    },
    "secret_fields": ["password", "headers.*"],
    "block_type_slug": "credentials",
    "block_schema_references": {},
}


def make_schema(slug: str, fields: dict[str, Any], version: str = "non-versioned") -> models.BlockSchema:
    block_type = models.BlockType.objects.filter(slug=slug).first() or block_types.create_block_type(
        actions.BlockTypeCreate(name=slug.title(), slug=slug)
    )
    schema, _ = block_schemas.create_block_schema(
        actions.BlockSchemaCreate(fields=fields, block_type_id=block_type.id, version=version)
    )
    return schema


@pytest.fixture
def credentials() -> models.BlockSchema:
    return make_schema("credentials", CREDENTIALS_FIELDS)


@pytest.fixture
def service(credentials: models.BlockSchema) -> models.BlockSchema:
    return make_schema(
        "service",
        {
            "title": "Service",
            "properties": {"url": {"type": "string"}, "credentials": {"$ref": "#/definitions/Credentials"}},
            "secret_fields": ["credentials.password", "credentials.headers.*"],
            "block_type_slug": "service",
            "block_schema_references": {
                "credentials": {"block_type_slug": "credentials", "block_schema_checksum": credentials.checksum}
            },
            "definitions": {"Credentials": CREDENTIALS_FIELDS},
        },
    )


def post_document(client, schema: models.BlockSchema, name: str | None, data: dict, **extra):
    body = {"name": name, "data": data, "block_schema_id": str(schema.id), "block_type_id": str(schema.block_type_id)}
    return client.post("/api/block_documents/", {**body, **extra}, content_type=JSON)


def save(client, schema: models.BlockSchema, name: str | None, data: dict, **extra) -> dict[str, Any]:
    response = post_document(client, schema, name, data, **extra)
    assert response.status_code == 201, response.content
    return response.json()


SECRET_DATA = {"username": "me", "password": "hunter2", "headers": {"Authorization": "Bearer x", "X-Other": "y"}}
OBFUSCATED_DATA = {"username": "me", "password": MASK, "headers": {"Authorization": MASK, "X-Other": MASK}}


def test_create_returns_the_document_with_secrets_obfuscated(client, credentials) -> None:
    body = save(client, credentials, "mine", SECRET_DATA)
    assert body["name"] == "mine"
    assert body["data"] == OBFUSCATED_DATA
    assert body["is_anonymous"] is False
    assert body["block_schema_id"] == str(credentials.id)
    assert body["block_type_id"] == str(credentials.block_type_id)
    assert body["block_type"]["slug"] == "credentials"
    assert body["block_schema"]["block_type"]["slug"] == "credentials"
    assert body["block_schema"]["checksum"] == credentials.checksum
    assert body["block_document_references"] == {}


def test_data_is_encrypted_at_rest_with_a_stored_key(client, credentials) -> None:
    body = save(client, credentials, "mine", SECRET_DATA)
    stored = models.BlockDocument.objects.get(pk=body["id"]).data
    assert "hunter2" not in stored and "username" not in stored
    key = models.Configuration.objects.get(key="ENCRYPTION_KEY").value["fernet_key"]
    assert encryption.decrypt_data(stored, Fernet(key.encode())) == SECRET_DATA


def test_configured_encryption_key_is_used(client, credentials, settings) -> None:
    key = Fernet.generate_key().decode()
    settings.PREFECT_SERVER_ENCRYPTION_KEY = key
    body = save(client, credentials, "mine", SECRET_DATA)
    stored = models.BlockDocument.objects.get(pk=body["id"]).data
    assert encryption.decrypt_data(stored, Fernet(key.encode())) == SECRET_DATA
    assert not models.Configuration.objects.filter(key="ENCRYPTION_KEY").exists()


def test_read_with_and_without_secrets(client, credentials) -> None:
    document_id = save(client, credentials, "mine", SECRET_DATA)["id"]
    hidden = client.get(f"/api/block_documents/{document_id}")
    assert hidden.status_code == 200
    assert hidden.json()["data"] == OBFUSCATED_DATA
    shown = client.get(f"/api/block_documents/{document_id}", {"include_secrets": "true"})
    assert shown.json()["data"] == SECRET_DATA


def test_null_secrets_are_not_obfuscated(client, credentials) -> None:
    document_id = save(client, credentials, "mine", {"username": "me", "password": None})["id"]
    assert client.get(f"/api/block_documents/{document_id}").json()["data"] == {"username": "me", "password": None}


def test_duplicate_name_per_type_is_409_but_other_types_may_reuse_it(client, credentials) -> None:
    save(client, credentials, "mine", SECRET_DATA)
    response = post_document(client, credentials, "mine", {"username": "other"})
    assert response.status_code == 409
    assert response.json() == {"detail": "Block already exists"}
    other = make_schema("other", {"title": "Other"})
    assert post_document(client, other, "mine", {}).status_code == 201


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (None, "Names must be provided for block documents."),
        ("Has Spaces", "Block document name must only contain lowercase letters, numbers, and dashes."),
        ("bad/name", "Block document name must only contain lowercase letters, numbers, and dashes."),
    ],
)
def test_invalid_names_are_422(client, credentials, name: str | None, message: str) -> None:
    response = post_document(client, credentials, name, {})
    assert response.status_code == 422
    assert message in [error["msg"] for error in response.json()["exception_detail"]]


def test_create_with_unknown_schema_or_extra_keys(client, credentials) -> None:
    body = {"name": "x", "data": {}, "block_schema_id": str(uuid.uuid4()), "block_type_id": str(credentials.block_type_id)}
    response = client.post("/api/block_documents/", body, content_type=JSON)
    assert response.status_code == 404
    response = post_document(client, credentials, "x", {}, unexpected=True)
    assert response.status_code == 422


def test_anonymous_documents_get_a_name_and_are_hidden_by_default(client, credentials) -> None:
    anonymous = save(client, credentials, None, {"username": "anon"}, is_anonymous=True)
    assert anonymous["is_anonymous"] is True
    assert anonymous["name"].startswith("anonymous-")
    uuid.UUID(anonymous["name"].removeprefix("anonymous-"))
    save(client, credentials, "named", {"username": "named"})

    def names(body: dict | None) -> list[str]:
        response = client.post("/api/block_documents/filter", body, content_type=JSON)
        assert response.status_code == 200, response.content
        return [doc["name"] for doc in response.json()]

    assert names({}) == ["named"]
    assert names({"block_documents": {}}) == ["named"]
    assert names({"block_documents": {"is_anonymous": None}}) == sorted([anonymous["name"], "named"])
    assert names({"block_documents": {"is_anonymous": {"eq_": True}}}) == [anonymous["name"]]
    assert names({"block_schema_type": "ignored", "offset": 0, "limit": None, "include_secrets": True}) == ["named"]
    # Anonymous documents can still be read by id.
    assert client.get(f"/api/block_documents/{anonymous['id']}").status_code == 200


def test_filter_by_document_type_and_schema(client, credentials) -> None:
    first = save(client, credentials, "bravo", {"username": "b"})
    save(client, credentials, "alpha", {"username": "a"})
    other = make_schema("other", {"title": "Other"})
    save(client, other, "charlie", {})

    def names(body: dict) -> list[str]:
        response = client.post("/api/block_documents/filter", body, content_type=JSON)
        assert response.status_code == 200, response.content
        return [doc["name"] for doc in response.json()]

    assert names({}) == ["alpha", "bravo", "charlie"]
    assert names({"block_documents": {"name": {"any_": ["bravo", "charlie"]}}}) == ["bravo", "charlie"]
    assert names({"block_documents": {"id": {"any_": [first["id"]]}}}) == ["bravo"]
    assert names({"block_documents": {"block_type_id": {"any_": [str(other.block_type_id)]}}}) == ["charlie"]
    assert names({"block_types": {"slug": {"any_": ["credentials"]}}}) == ["alpha", "bravo"]
    assert names({"block_schemas": {"id": {"any_": [str(other.id)]}}}) == ["charlie"]
    # The anonymity default is one of the criteria the operator combines, as in Prefect.
    either = {"operator": "or_", "name": {"any_": ["alpha"]}, "id": {"any_": [first["id"]]}}
    assert names({"block_documents": either}) == ["alpha", "bravo", "charlie"]
    assert names({"block_documents": {**either, "is_anonymous": None}}) == ["alpha", "bravo"]
    assert names({"limit": 2, "offset": 1}) == ["bravo", "charlie"]
    response = client.post("/api/block_documents/filter", {"include_secrets": True}, content_type=JSON)
    assert response.json()[0]["data"] == {"username": "a"}
    response = client.post("/api/block_documents/filter", {"block_documents": {"nmae": {}}}, content_type=JSON)
    assert response.status_code == 422


def test_filter_obfuscates_unless_secrets_requested(client, credentials) -> None:
    save(client, credentials, "mine", SECRET_DATA)
    hidden = client.post("/api/block_documents/filter", {}, content_type=JSON).json()
    shown = client.post("/api/block_documents/filter", {"include_secrets": True}, content_type=JSON).json()
    assert hidden[0]["data"] == OBFUSCATED_DATA
    assert shown[0]["data"] == SECRET_DATA


def test_nested_documents_are_stored_as_references_and_inlined(client, credentials, service) -> None:
    child = save(client, credentials, "creds", SECRET_DATA)
    parent = save(
        client, service, "api", {"url": "https://x", "credentials": {"$ref": {"block_document_id": child["id"]}}}
    )
    assert parent["data"] == {"url": "https://x", "credentials": OBFUSCATED_DATA}
    reference = parent["block_document_references"]["credentials"]["block_document"]
    assert reference["id"] == child["id"]
    assert reference["name"] == "creds"
    assert reference["is_anonymous"] is False
    assert reference["block_type"]["slug"] == "credentials"
    assert reference["block_document_references"] == {}
    stored = models.BlockDocumentReference.objects.get()
    assert (stored.name, str(stored.reference_block_document_id)) == ("credentials", child["id"])

    shown = client.get(f"/api/block_documents/{parent['id']}", {"include_secrets": "true"}).json()
    assert shown["data"] == {"url": "https://x", "credentials": SECRET_DATA}

    # Changing the child shows through the parent.
    client.patch(f"/api/block_documents/{child['id']}", {"data": {"username": "changed"}}, content_type=JSON)
    assert client.get(f"/api/block_documents/{parent['id']}").json()["data"]["credentials"]["username"] == "changed"

    # Deleting the child drops the reference.
    client.delete(f"/api/block_documents/{child['id']}")
    assert client.get(f"/api/block_documents/{parent['id']}").json()["data"] == {"url": "https://x"}


def test_references_must_name_an_existing_document(client, credentials, service) -> None:
    response = post_document(client, service, "api", {"credentials": {"$ref": {"block_document_id": str(uuid.uuid4())}}})
    assert response.status_code == 404
    response = post_document(client, service, "api", {"credentials": {"$ref": "nope"}})
    assert response.status_code == 422
    assert not models.BlockDocument.objects.exists()


def test_patch_merges_by_default_and_keeps_obfuscated_secrets(client, credentials) -> None:
    document = save(client, credentials, "mine", SECRET_DATA)
    url = f"/api/block_documents/{document['id']}"
    # Post back what a read without secrets shows, with one change.
    posted = {**OBFUSCATED_DATA, "username": "new"}
    response = client.patch(url, {"data": posted}, content_type=JSON)
    assert response.status_code == 204
    assert response.content == b""
    assert client.get(url, {"include_secrets": "true"}).json()["data"] == {**SECRET_DATA, "username": "new"}

    client.patch(url, {"data": {"password": "changed"}}, content_type=JSON)
    assert client.get(url, {"include_secrets": "true"}).json()["data"] == {
        **SECRET_DATA,
        "username": "new",
        "password": "changed",
    }


def test_patch_can_replace_data(client, credentials) -> None:
    document = save(client, credentials, "mine", SECRET_DATA)
    url = f"/api/block_documents/{document['id']}"
    response = client.patch(url, {"data": {"username": "only"}, "merge_existing_data": False}, content_type=JSON)
    assert response.status_code == 204
    assert client.get(url, {"include_secrets": "true"}).json()["data"] == {"username": "only"}


def test_patch_moves_to_another_schema_of_the_same_type_only(client, credentials) -> None:
    document = save(client, credentials, "mine", SECRET_DATA)
    url = f"/api/block_documents/{document['id']}"
    newer = make_schema("credentials", {**CREDENTIALS_FIELDS, "description": "v2"}, version="2")
    response = client.patch(url, {"block_schema_id": str(newer.id), "data": {}}, content_type=JSON)
    assert response.status_code == 204
    assert client.get(url).json()["block_schema_id"] == str(newer.id)

    other = make_schema("other", {"title": "Other"})
    response = client.patch(url, {"block_schema_id": str(other.id), "data": {}}, content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {"detail": "Must migrate block document to a block schema of the same block type."}


def test_patch_resyncs_references(client, credentials, service) -> None:
    first = save(client, credentials, "first", {"username": "1"})
    second = save(client, credentials, "second", {"username": "2"})
    parent = save(client, service, "api", {"url": "u", "credentials": {"$ref": {"block_document_id": first["id"]}}})
    url = f"/api/block_documents/{parent['id']}"

    client.patch(url, {"data": {"url": "v"}}, content_type=JSON)
    assert client.get(url).json()["data"] == {"url": "v", "credentials": {"username": "1"}}

    client.patch(url, {"data": {"credentials": {"$ref": {"block_document_id": second["id"]}}}}, content_type=JSON)
    body = client.get(url).json()
    assert body["data"]["credentials"] == {"username": "2"}
    assert body["block_document_references"]["credentials"]["block_document"]["id"] == second["id"]

    client.patch(url, {"data": {"url": "w"}, "merge_existing_data": False}, content_type=JSON)
    body = client.get(url).json()
    assert body["data"] == {"url": "w"}
    assert body["block_document_references"] == {}
    assert not models.BlockDocumentReference.objects.exists()


def test_patch_and_delete_missing_documents_are_404(client) -> None:
    missing = uuid.uuid4()
    response = client.patch(f"/api/block_documents/{missing}", {"data": {}}, content_type=JSON)
    assert response.status_code == 404
    assert response.json() == {"detail": "Block document not found"}
    assert client.delete(f"/api/block_documents/{missing}").status_code == 404
    assert client.get(f"/api/block_documents/{missing}").json() == {"detail": "Block document not found"}
    # The id segment is typed: anything else is not a route at all.
    assert client.get("/api/block_documents/not-a-uuid").json() == {"detail": "Not Found"}


def test_delete(client, credentials) -> None:
    document = save(client, credentials, "mine", SECRET_DATA)
    assert client.delete(f"/api/block_documents/{document['id']}").status_code == 204
    assert not models.BlockDocument.objects.exists()


def test_filter_queries_do_not_grow_with_page_size(client, credentials, service) -> None:
    def fill(count: int) -> None:
        start = models.BlockDocument.objects.count()
        for index in range(start, start + count):
            child = save(client, credentials, f"creds-{index:03d}", SECRET_DATA)
            save(client, service, f"svc-{index:03d}", {"credentials": {"$ref": {"block_document_id": child["id"]}}})

    def queries_for_page() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.post("/api/block_documents/filter", {}, content_type=JSON)
        assert response.status_code == 200
        return len(captured), len(response.json())

    fill(2)
    small_queries, small_rows = queries_for_page()
    fill(10)
    large_queries, large_rows = queries_for_page()
    assert (small_rows, large_rows) == (4, 24)
    assert large_queries == small_queries


def test_admin_shows_documents_without_their_data(admin_client, client, credentials) -> None:
    document = save(client, credentials, "mine", SECRET_DATA)
    listing = admin_client.get("/admin/api/blockdocument/")
    assert listing.status_code == 200
    assert b"mine" in listing.content
    page = admin_client.get(f"/admin/api/blockdocument/{document['id']}/change/")
    assert page.status_code == 200
    assert b"hunter2" not in page.content and b"Bearer x" not in page.content
    assert b"headers, password, username" in page.content
    for model in ("blocktype", "blockschema"):
        assert admin_client.get(f"/admin/api/{model}/").status_code == 200


def test_default_listing_reads_named_documents_from_the_anonymity_index() -> None:
    """Clients leave one anonymous document per flow run; the default listing must find
    the named ones through the (is_anonymous, name) index rather than scan them all."""
    queryset = models.BlockDocument.objects.filter(
        filter_q.block_document_filter_q(filters.BlockDocumentFilter())
    ).order_by("name")[:200]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # On a tiny table the planner prefers a scan; forbid it to see what it can use.
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert "ix_block_document__anon_name" in plan
