"""Block type routes (``/block_types``), including a type's documents by slug and the
re-installation of the protected system types."""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from django.http import HttpRequest
from pydantic import Field

from api.blocks import registration
from api.crud import block_documents, block_types
from api.dependencies import write_transaction
from api.schemas import actions, core, filters
from api.schemas.base import Limit, Offset, RequestBody
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/block_types", tags=["Block types"])


class BlockTypeFilterRequest(RequestBody):
    """Body of ``POST /block_types/filter``."""

    block_types: Optional[filters.BlockTypeFilter] = None
    block_schemas: Optional[filters.BlockSchemaFilter] = None
    limit: Limit = Field(default=None, validate_default=True)
    offset: Offset = 0


@router.post("/", status_code=201)
def create_block_type(request: HttpRequest, block_type: actions.BlockTypeCreate) -> core.BlockType:
    """Create a block type; names beginning with "prefect" are reserved."""
    block_types.check_block_type_name(block_type.name)
    write_transaction(request)
    return core.BlockType.model_validate(block_types.create_block_type(block_type))


@router.post("/filter")
def read_block_types(
    request: HttpRequest, body: Optional[BlockTypeFilterRequest] = None
) -> list[core.BlockType]:
    """Block types matching the filters, by name."""
    body = body or BlockTypeFilterRequest()  # the whole body may be omitted
    rows = block_types.read_block_types(
        block_type_filter=body.block_types, block_schema_filter=body.block_schemas, limit=body.limit, offset=body.offset
    )
    return [core.BlockType.model_validate(row) for row in rows]


# ``response=None`` would send an empty body; the original answers a JSON ``null``.
@router.post("/install_system_block_types", response=Optional[bool])
def install_system_block_types(request: HttpRequest) -> None:
    """(Re)install the protected system block types and their schemas (200 ``null``)."""
    write_transaction(request)
    registration.install_system_block_types()


@router.get("/slug/{slug}")
def read_block_type_by_slug(request: HttpRequest, slug: str) -> core.BlockType:
    """The block type with this slug."""
    return core.BlockType.model_validate(block_types.get_block_type_by_slug(slug))


@router.get("/slug/{slug}/block_documents")
def read_block_documents_for_block_type(
    request: HttpRequest, slug: str, include_secrets: bool = False
) -> list[core.BlockDocument]:
    """The named (non-anonymous) documents of this block type, by name."""
    block_types.get_block_type_by_slug(slug)
    return block_documents.read_block_documents(
        block_type_filter=filters.BlockTypeFilter(slug=filters.BlockTypeFilterSlug(any_=[slug])),
        include_secrets=include_secrets,
    )


@router.get("/slug/{slug}/block_documents/name/{block_document_name}")
def read_block_document_by_name_for_block_type(
    request: HttpRequest, slug: str, block_document_name: str, include_secrets: bool = False
) -> core.BlockDocument:
    """The document of this block type with this name (anonymous ones included)."""
    return block_documents.get_block_document_by_name(block_document_name, slug, include_secrets)


@router.get("/{id}")
def read_block_type(request: HttpRequest, id: UUID) -> core.BlockType:
    """The block type with this id."""
    return core.BlockType.model_validate(block_types.get_block_type(id))


@router.patch("/{id}", status_code=204)
def update_block_type(request: HttpRequest, id: UUID, block_type: actions.BlockTypeUpdate) -> None:
    """Change a block type's logo, documentation link, description or code example."""
    write_transaction(request)
    block_types.update_block_type(id, block_type)


@router.delete("/{id}", status_code=204)
def delete_block_type(request: HttpRequest, id: UUID) -> None:
    """Delete a block type with its schemas and documents; protected types stay."""
    write_transaction(request)
    block_types.delete_block_type(id)
