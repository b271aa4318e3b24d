"""Block schema routes: create (201 new / 200 identical), checksums equal the client's,
nested block references, filters, lookups by checksum, deletion."""

from __future__ import annotations

import uuid

import pytest

from api import models
from api.blocks import registration
from api.blocks.builtin import load_builtin_blocks
from api.blocks.checksums import compute_block_schema_checksum
from api.crud import block_types
from api.schemas import actions

pytestmark = pytest.mark.django_db

JSON = "application/json"

SECRET_FIELDS = {
    "title": "Login",
    "type": "object",
    "properties": {"password": {"title": "Password", "type": "string", "writeOnly": True, "format": "password"}},
    "secret_fields": ["password"],
    "block_type_slug": "login",
    "block_schema_references": {},
}


def make_type(slug: str = "login", name: str = "Login") -> models.BlockType:
    return block_types.create_block_type(actions.BlockTypeCreate(name=name, slug=slug))


def post_schema(client, block_type: models.BlockType, fields: dict, **extra):
    return client.post(
        "/api/block_schemas/", {"fields": fields, "block_type_id": str(block_type.id), **extra}, content_type=JSON
    )


def test_create_is_201_then_200_with_the_same_schema(client) -> None:
    block_type = make_type()
    first = post_schema(client, block_type, SECRET_FIELDS, capabilities=["login"], version="1.0")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["checksum"] == compute_block_schema_checksum(SECRET_FIELDS)
    assert body["fields"] == SECRET_FIELDS
    assert body["capabilities"] == ["login"]
    assert body["version"] == "1.0"
    assert body["block_type_id"] == str(block_type.id)
    assert body["block_type"]["slug"] == "login"

    again = post_schema(client, block_type, SECRET_FIELDS, capabilities=["login"], version="1.0")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    other_version = post_schema(client, block_type, SECRET_FIELDS, version="2.0")
    assert other_version.status_code == 201
    assert other_version.json()["id"] != body["id"]
    assert models.BlockSchema.objects.count() == 2


def test_create_defaults(client) -> None:
    response = post_schema(client, make_type(), {})
    assert response.status_code == 201
    body = response.json()
    assert body["version"] == "non-versioned"
    assert body["capabilities"] == []
    assert body["fields"] == {"block_schema_references": {}}
    assert body["checksum"] == compute_block_schema_checksum({})


def test_create_for_unknown_type_is_404_and_bad_bodies_422(client) -> None:
    missing = uuid.uuid4()
    response = client.post("/api/block_schemas/", {"fields": {}, "block_type_id": str(missing)}, content_type=JSON)
    assert response.status_code == 404
    assert response.json() == {"detail": f"Block type {missing} not found."}
    assert client.post("/api/block_schemas/", {"fields": {}}, content_type=JSON).status_code == 422
    response = client.post(
        "/api/block_schemas/", {"block_type_id": str(missing), "checksum": "x"}, content_type=JSON
    )
    assert response.status_code == 422


def test_builtin_schema_posted_by_a_client_matches_the_registered_one(client) -> None:
    registration.register_builtin_blocks()
    local = next(block for block in load_builtin_blocks() if block["slug"] == "local-file-system")
    block_type = models.BlockType.objects.get(slug="local-file-system")
    response = post_schema(
        client,
        block_type,
        local["block_schema"]["fields"],
        capabilities=local["block_schema"]["capabilities"],
        version=local["block_schema"]["version"],
    )
    assert response.status_code == 200
    assert response.json()["checksum"] == local["block_schema"]["checksum"]


def test_nested_block_references_link_existing_schemas(client) -> None:
    login_type = make_type()
    login = post_schema(client, login_type, SECRET_FIELDS).json()
    parent_type = make_type("service", "Service")
    fields = {
        "title": "Service",
        "type": "object",
        "properties": {"login": {"$ref": "#/definitions/Login"}, "url": {"type": "string"}},
        "secret_fields": ["login.password"],
        "block_type_slug": "service",
        "block_schema_references": {
            "login": {"block_type_slug": "login", "block_schema_checksum": login["checksum"]}
        },
        "definitions": {"Login": SECRET_FIELDS},
    }
    response = post_schema(client, parent_type, fields)
    assert response.status_code == 201
    assert response.json()["fields"]["block_schema_references"] == fields["block_schema_references"]
    parent = models.BlockSchema.objects.get(pk=response.json()["id"])
    assert [(ref.name, str(ref.reference_block_schema_id)) for ref in parent.references.all()] == [
        ("login", login["id"])
    ]


def test_nested_schema_missing_is_registered_from_definitions(client) -> None:
    make_type()
    parent_type = make_type("service", "Service")
    fields = {
        "title": "Service",
        "properties": {"login": {"$ref": "#/definitions/Login"}},
        "block_type_slug": "service",
        "block_schema_references": {
            "login": {"block_type_slug": "login", "block_schema_checksum": compute_block_schema_checksum(SECRET_FIELDS)}
        },
        "definitions": {"Login": SECRET_FIELDS},
    }
    response = post_schema(client, parent_type, fields)
    assert response.status_code == 201
    nested = models.BlockSchema.objects.get(block_type__slug="login")
    assert nested.checksum == compute_block_schema_checksum(SECRET_FIELDS)


def test_nested_reference_to_unknown_block_type_is_409(client) -> None:
    parent_type = make_type("service", "Service")
    fields = {
        "block_schema_references": {"login": {"block_type_slug": "nope", "block_schema_checksum": "sha256:0"}},
    }
    response = post_schema(client, parent_type, fields)
    assert response.status_code == 409
    assert not models.BlockSchema.objects.exists()


def test_read_by_id_and_checksum(client) -> None:
    block_type = make_type()
    old = post_schema(client, block_type, SECRET_FIELDS, version="1").json()
    new = post_schema(client, block_type, SECRET_FIELDS, version="2").json()
    assert client.get(f"/api/block_schemas/{old['id']}").json() == old
    by_checksum = client.get(f"/api/block_schemas/checksum/{old['checksum']}")
    assert by_checksum.status_code == 200
    assert by_checksum.json()["id"] == new["id"]
    versioned = client.get(f"/api/block_schemas/checksum/{old['checksum']}", {"version": "1"})
    assert versioned.json()["id"] == old["id"]
    missing = client.get(f"/api/block_schemas/checksum/{old['checksum']}", {"version": "3"})
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Block schema not found"}
    assert client.get(f"/api/block_schemas/{uuid.uuid4()}").status_code == 404
    assert client.get("/api/block_schemas/checksum/sha256:nothing").status_code == 404


def test_filter(client) -> None:
    login_type = make_type()
    other_type = make_type("other", "Other")
    first = post_schema(client, login_type, {"title": "a"}, capabilities=["read-path", "write-path"], version="1")
    second = post_schema(client, login_type, {"title": "b"}, capabilities=["read-path"], version="2")
    third = post_schema(client, other_type, {"title": "c"}, capabilities=[], version="1")
    ids = {name: response.json()["id"] for name, response in (("a", first), ("b", second), ("c", third))}

    def found(body: dict) -> list[str]:
        response = client.post("/api/block_schemas/filter", body, content_type=JSON)
        assert response.status_code == 200, response.content
        by_id = {value: key for key, value in ids.items()}
        return [by_id[item["id"]] for item in response.json()]

    assert found({}) == ["c", "b", "a"]  # newest first
    assert found({"block_schemas": {"block_type_id": {"any_": [str(login_type.id)]}}}) == ["b", "a"]
    assert found({"block_schemas": {"block_capabilities": {"all_": ["read-path"]}}}) == ["b", "a"]
    assert found({"block_schemas": {"block_capabilities": {"all_": ["read-path", "write-path"]}}}) == ["a"]
    assert found({"block_schemas": {"block_capabilities": {"all_": []}}}) == ["c", "b", "a"]
    assert found({"block_schemas": {"version": {"any_": ["1"]}}}) == ["c", "a"]
    assert found({"block_schemas": {"id": {"any_": [ids["b"]]}}}) == ["b"]
    assert found(
        {"block_schemas": {"operator": "or_", "version": {"any_": ["2"]}, "id": {"any_": [ids["c"]]}}}
    ) == ["c", "b"]
    assert found({"limit": 1, "offset": 1}) == ["b"]
    bad = client.post("/api/block_schemas/filter", {"block_schemas": {"bogus": 1}}, content_type=JSON)
    assert bad.status_code == 422


def test_delete(client) -> None:
    block_type = make_type()
    schema = post_schema(client, block_type, SECRET_FIELDS).json()
    assert client.delete(f"/api/block_schemas/{schema['id']}").status_code == 204
    assert not models.BlockSchema.objects.exists()
    response = client.delete(f"/api/block_schemas/{schema['id']}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Block schema not found"}


def test_schemas_of_protected_types_cannot_be_deleted(client) -> None:
    registration.install_system_block_types()
    secret = models.BlockSchema.objects.get(block_type__slug="secret")
    response = client.delete(f"/api/block_schemas/{secret.id}")
    assert response.status_code == 403
    assert response.json() == {"detail": "Block schemas for protected block types cannot be deleted."}


@pytest.mark.parametrize("path", ["/api/block_types/filter", "/api/block_schemas/filter", "/api/block_documents/filter"])
def test_filter_bodies_may_be_omitted(client, path: str) -> None:
    """A filter request without any body lists everything (with the default filters)."""
    block_type = make_type()
    schema = post_schema(client, block_type, SECRET_FIELDS).json()
    client.post(
        "/api/block_documents/",
        {"name": "doc", "data": {}, "block_schema_id": schema["id"], "block_type_id": str(block_type.id)},
        content_type=JSON,
    )
    response = client.generic("POST", path)
    assert response.status_code == 200, response.content
    assert len(response.json()) == 1
