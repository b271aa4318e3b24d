"""Block schema routes (``/block_schemas``)."""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from django.http import HttpRequest
from ninja.responses import Status
from pydantic import Field

from api.crud import block_schemas
from api.dependencies import write_transaction
from api.schemas import actions, core, filters
from api.schemas.base import Limit, Offset, RequestBody
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/block_schemas", tags=["Block schemas"])


class BlockSchemaFilterRequest(RequestBody):
    """Body of ``POST /block_schemas/filter``."""

    block_schemas: Optional[filters.BlockSchemaFilter] = None
    limit: Limit = Field(default=None, validate_default=True)
    offset: Offset = 0


@router.post("/", status_code=201)
def create_block_schema(request: HttpRequest, block_schema: actions.BlockSchemaCreate) -> core.BlockSchema:
    """Create a schema (201), or return the identical existing one (200)."""
    write_transaction(request)
    row, created = block_schemas.create_block_schema(block_schema)
    response = core.BlockSchema.model_validate(row)
    return response if created else Status(200, response)


@router.post("/filter")
def read_block_schemas(
    request: HttpRequest, body: Optional[BlockSchemaFilterRequest] = None
) -> list[core.BlockSchema]:
    """Schemas matching the filter, newest first."""
    body = body or BlockSchemaFilterRequest()  # the whole body may be omitted
    rows = block_schemas.read_block_schemas(block_schema_filter=body.block_schemas, limit=body.limit, offset=body.offset)
    return [core.BlockSchema.model_validate(row) for row in rows]


@router.get("/checksum/{checksum}")
def read_block_schema_by_checksum(
    request: HttpRequest, checksum: str, version: Optional[str] = None
) -> core.BlockSchema:
    """The newest schema with this checksum (and version, when given)."""
    return core.BlockSchema.model_validate(block_schemas.get_block_schema_by_checksum(checksum, version))


@router.get("/{id}")
def read_block_schema(request: HttpRequest, id: UUID) -> core.BlockSchema:
    """The schema with this id."""
    return core.BlockSchema.model_validate(block_schemas.get_block_schema(id))


@router.delete("/{id}", status_code=204)
def delete_block_schema(request: HttpRequest, id: UUID) -> None:
    """Delete a schema and its documents; schemas of protected types stay."""
    write_transaction(request)
    block_schemas.delete_block_schema(id)
