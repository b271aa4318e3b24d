"""Block type routes: create, read, filter, update, delete, the documents of a type, and
the registration of the built-in catalogue (at start-up and on demand)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from api import models
from api.blocks import registration
from api.blocks.builtin import load_builtin_blocks
from api.crud import block_documents, block_schemas, block_types
from api.schemas import actions
from api.server import default_api

pytestmark = pytest.mark.django_db

JSON = "application/json"
ROUTES_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "routes-prefect-2.8.7.txt"


def make_type(slug: str = "my-block", name: str = "My Block", **extra: Any) -> models.BlockType:
    return block_types.create_block_type(actions.BlockTypeCreate(name=name, slug=slug, **extra))


def make_document(block_type: models.BlockType, name: str | None, data: dict, anonymous: bool = False):
    schema, _ = block_schemas.create_block_schema(
        actions.BlockSchemaCreate(
            fields={"title": block_type.name, "properties": {"value": {"type": "string"}}},
            block_type_id=block_type.id,
        )
    )
    return block_documents.create_block_document(
        actions.BlockDocumentCreate(
            name=name, data=data, block_schema_id=schema.id, block_type_id=block_type.id, is_anonymous=anonymous
        )
    )


def test_create_block_type_escapes_description_and_returns_it(client) -> None:
    response = client.post(
        "/api/block_types/",
        {
            "name": "My Block",
            "slug": "my-block",
            "logo_url": "https://example.com/logo.png",
            "documentation_url": "https://example.com/docs",
            "description": "<b>bold</b> & \"quoted\"",
            "code_example": "x > 1",
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "My Block"
    assert body["slug"] == "my-block"
    assert body["logo_url"] == "https://example.com/logo.png"
    assert body["description"] == "&lt;b&gt;bold&lt;/b&gt; &amp; \"quoted\""
    assert body["code_example"] == "x &gt; 1"
    assert body["is_protected"] is False
    assert body["created"].endswith("+00:00")
    assert models.BlockType.objects.filter(slug="my-block").count() == 1


def test_create_duplicate_slug_is_409(client) -> None:
    make_type()
    response = client.post("/api/block_types/", {"name": "Other", "slug": "my-block"}, content_type=JSON)
    assert response.status_code == 409
    assert response.json() == {"detail": 'Block type with name "Other" already exists'}


@pytest.mark.parametrize("name", ["Prefect thing", "prefectish", "PREFECT"])
def test_names_beginning_with_prefect_are_reserved(client, name: str) -> None:
    response = client.post("/api/block_types/", {"name": name, "slug": "x"}, content_type=JSON)
    assert response.status_code == 403
    assert response.json() == {"detail": "Block type names beginning with 'Prefect' are reserved."}


@pytest.mark.parametrize(
    "body",
    [
        {"name": "ok", "slug": "Not_A_Slug"},
        {"name": "bad/name", "slug": "ok"},
        {"name": "ok", "slug": "ok", "logo_url": "not a url"},
        {"name": "ok", "slug": "ok", "unknown": 1},
        {"slug": "ok"},
    ],
)
def test_invalid_block_type_bodies_are_422(client, body: dict) -> None:
    response = client.post("/api/block_types/", body, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["exception_message"] == "Invalid request received."


def test_invalid_name_character_message(client) -> None:
    response = client.post("/api/block_types/", {"name": "bad/name", "slug": "ok"}, content_type=JSON)
    [error] = response.json()["exception_detail"]
    assert error["type"] == "value_error.invalidname"
    assert error["msg"] == (
        "Name 'bad/name' contains an invalid character. Must not contain any of: ['/', '%', '&', '>', '<']."
    )


def test_read_by_id_and_slug(client) -> None:
    block_type = make_type()
    by_id = client.get(f"/api/block_types/{block_type.id}")
    by_slug = client.get("/api/block_types/slug/my-block")
    assert by_id.status_code == by_slug.status_code == 200
    assert by_id.json() == by_slug.json()
    assert by_id.json()["id"] == str(block_type.id)


def test_read_missing_is_404(client) -> None:
    assert client.get(f"/api/block_types/{uuid.uuid4()}").json() == {"detail": "Block type not found"}
    assert client.get("/api/block_types/slug/nope").status_code == 404
    assert client.get("/api/block_types/not-a-uuid").status_code == 422


def test_filter_by_name_slug_and_capabilities(client) -> None:
    alpha = make_type("alpha", "Alpha Store")
    make_type("beta", "Beta")
    make_type("gamma", "Gamma Store")
    block_schemas.create_block_schema(
        actions.BlockSchemaCreate(fields={"title": "A"}, block_type_id=alpha.id, capabilities=["read-path", "write-path"])
    )

    def names(body: dict) -> list[str]:
        response = client.post("/api/block_types/filter", body, content_type=JSON)
        assert response.status_code == 200, response.content
        return [item["name"] for item in response.json()]

    assert names({}) == ["Alpha Store", "Beta", "Gamma Store"]
    assert names({"block_types": {"name": {"like_": "store"}}}) == ["Alpha Store", "Gamma Store"]
    assert names({"block_types": {"slug": {"any_": ["beta", "gamma"]}}}) == ["Beta", "Gamma Store"]
    assert names({"block_schemas": {"block_capabilities": {"all_": ["write-path"]}}}) == ["Alpha Store"]
    assert names({"block_schemas": {"block_capabilities": {"all_": ["write-path", "notify"]}}}) == []
    assert names({"limit": 1, "offset": 1}) == ["Beta"]
    assert names({"limit": None, "sort": None, "unknown_key": 1}) == ["Alpha Store", "Beta", "Gamma Store"]


def test_filter_rejects_unknown_filter_keys_and_big_limits(client) -> None:
    response = client.post("/api/block_types/filter", {"block_types": {"nme": {}}}, content_type=JSON)
    assert response.status_code == 422
    response = client.post("/api/block_types/filter", {"limit": 201}, content_type=JSON)
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid limit: must be less than or equal to 200."}


def test_update_changes_only_sent_fields_verbatim(client) -> None:
    block_type = make_type(description="old", code_example="keep")
    response = client.patch(
        f"/api/block_types/{block_type.id}",
        {"description": "<new>", "logo_url": "https://example.com/x.png"},
        content_type=JSON,
    )
    assert response.status_code == 204
    assert response.content == b""
    body = client.get(f"/api/block_types/{block_type.id}").json()
    assert body["description"] == "<new>"
    assert body["code_example"] == "keep"
    assert body["logo_url"] == "https://example.com/x.png"
    assert body["updated"] > body["created"]


def test_update_protected_type_is_allowed_and_missing_is_404(client) -> None:
    registration.install_system_block_types()
    secret = models.BlockType.objects.get(slug="secret")
    response = client.patch(f"/api/block_types/{secret.id}", {"description": "mine"}, content_type=JSON)
    assert response.status_code == 204
    response = client.patch(f"/api/block_types/{uuid.uuid4()}", {"description": "x"}, content_type=JSON)
    assert response.status_code == 404
    response = client.patch(f"/api/block_types/{secret.id}", {"name": "renamed"}, content_type=JSON)
    assert response.status_code == 422


def test_delete_cascades_and_protected_types_stay(client) -> None:
    block_type = make_type()
    make_document(block_type, "doc", {"value": "x"})
    response = client.delete(f"/api/block_types/{block_type.id}")
    assert response.status_code == 204
    assert not models.BlockType.objects.filter(pk=block_type.id).exists()
    assert not models.BlockDocument.objects.exists()
    assert not models.BlockSchema.objects.filter(block_type_id=block_type.id).exists()
    assert client.delete(f"/api/block_types/{block_type.id}").status_code == 404

    registration.install_system_block_types()
    secret = models.BlockType.objects.get(slug="secret")
    response = client.delete(f"/api/block_types/{secret.id}")
    assert response.status_code == 403
    assert response.json() == {"detail": "protected block types cannot be deleted."}


def test_documents_of_a_type_by_slug_and_name(client) -> None:
    block_type = make_type()
    make_document(block_type, "zeta", {"value": "z"})
    make_document(block_type, "alpha", {"value": "a"})
    make_document(block_type, None, {"value": "anon"}, anonymous=True)
    other = make_type("other", "Other")
    make_document(other, "alpha", {"value": "other"})

    response = client.get("/api/block_types/slug/my-block/block_documents")
    assert response.status_code == 200
    assert [doc["name"] for doc in response.json()] == ["alpha", "zeta"]
    assert response.json()[0]["block_type"]["slug"] == "my-block"

    response = client.get("/api/block_types/slug/my-block/block_documents/name/alpha")
    assert response.status_code == 200
    assert response.json()["data"] == {"value": "a"}
    assert response.json()["block_schema"]["block_type"]["slug"] == "my-block"

    anonymous = models.BlockDocument.objects.get(is_anonymous=True)
    response = client.get(f"/api/block_types/slug/my-block/block_documents/name/{anonymous.name}")
    assert response.status_code == 200

    response = client.get("/api/block_types/slug/my-block/block_documents/name/missing")
    assert response.json() == {"detail": "Block document not found"}
    response = client.get("/api/block_types/slug/missing/block_documents")
    assert response.json() == {"detail": "Block type not found"}


def test_install_system_block_types_installs_the_protected_six(client) -> None:
    response = client.post("/api/block_types/install_system_block_types")
    assert response.status_code == 200
    assert response.json() is None
    protected = set(models.BlockType.objects.filter(is_protected=True).values_list("slug", flat=True))
    assert protected == {"date-time", "json", "local-file-system", "process", "secret", "webhook"}
    assert models.BlockSchema.objects.count() == 6
    assert client.post("/api/block_types/install_system_block_types").status_code == 200
    assert models.BlockSchema.objects.count() == 6


def test_registration_registers_the_catalogue_once(django_assert_max_num_queries) -> None:
    registration.register_on_startup()
    catalogue = load_builtin_blocks()
    assert models.BlockType.objects.count() == len(catalogue) == 34
    assert models.BlockSchema.objects.count() == 34
    stored = dict(models.BlockSchema.objects.values_list("block_type__slug", "checksum"))
    assert stored == {block["slug"]: block["block_schema"]["checksum"] for block in catalogue}
    docker = models.BlockSchema.objects.get(block_type__slug="docker-container")
    assert list(docker.references.values_list("name", "reference_block_schema__block_type__slug")) == [
        ("image_registry", "docker-registry")
    ]
    # A restart with the same catalogue costs one query and changes nothing.
    with django_assert_max_num_queries(1):
        registration.register_on_startup()
    # Running the whole registration again is idempotent too.
    registration.register_builtin_blocks()
    assert models.BlockType.objects.count() == 34
    assert models.BlockSchema.objects.count() == 34


def test_registration_runs_again_on_a_wiped_database() -> None:
    registration.register_on_startup()
    models.BlockType.objects.all().delete()
    models.Configuration.objects.all().delete()
    registration.register_on_startup()
    assert models.BlockType.objects.count() == 34


def test_registration_can_be_disabled(settings) -> None:
    settings.PREFECT_API_BLOCKS_REGISTER_ON_START = False
    registration.register_on_startup()
    assert not models.BlockType.objects.exists()


def test_registration_keeps_user_edits_of_protection_and_restores_deleted_system_types(client) -> None:
    registration.register_on_startup()
    models.BlockType.objects.filter(slug="secret").delete()
    client.post("/api/block_types/install_system_block_types")
    assert models.BlockType.objects.get(slug="secret").is_protected
    assert models.BlockType.objects.count() == 34


def test_registration_is_a_startup_hook() -> None:
    from api.services import launcher

    assert "api.blocks.registration.register_on_startup" in launcher.STARTUP_HOOKS


def test_every_block_route_of_the_original_is_served() -> None:
    """Every ``/api/block_*`` operation of Prefect 2.8.7 exists, with the same path."""
    lines = ROUTES_FIXTURE.read_text().splitlines()
    expected = {line.strip() for line in lines if line.split(" ", 1)[-1].startswith("/api/block_")}
    served = {
        f"{method.upper()} {path}"
        for path, operations in default_api().get_openapi_schema()["paths"].items()
        if path.startswith("/api/block_")
        for method in operations
    }
    assert len(expected) == 20
    assert served == expected
