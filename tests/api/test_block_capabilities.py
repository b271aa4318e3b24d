"""``GET /block_capabilities/``: the distinct capabilities of all block schemas."""

from __future__ import annotations

import pytest

from api.blocks import registration
from api.blocks.builtin import load_block_capabilities
from api.crud import block_schemas, block_types
from api.schemas import actions

pytestmark = pytest.mark.django_db


def test_no_schemas_no_capabilities(client) -> None:
    response = client.get("/api/block_capabilities/")
    assert response.status_code == 200
    assert response.json() == []


def test_each_capability_once(client) -> None:
    block_type = block_types.create_block_type(actions.BlockTypeCreate(name="Store", slug="store"))
    for title, capabilities in (("a", ["read-path", "write-path"]), ("b", ["read-path"]), ("c", [])):
        block_schemas.create_block_schema(
            actions.BlockSchemaCreate(fields={"title": title}, block_type_id=block_type.id, capabilities=capabilities)
        )
    assert sorted(client.get("/api/block_capabilities/").json()) == ["read-path", "write-path"]


def test_builtin_catalogue_capabilities(client) -> None:
    registration.register_builtin_blocks()
    assert sorted(client.get("/api/block_capabilities/").json()) == load_block_capabilities()
