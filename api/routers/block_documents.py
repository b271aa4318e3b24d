"""Block document routes (``/block_documents``)."""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from django.http import HttpRequest
from pydantic import Field

from api.crud import block_documents
from api.dependencies import write_transaction
from api.schemas import actions, core, filters
from api.schemas.base import Limit, Offset, RequestBody
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/block_documents", tags=["Block documents"])


class BlockDocumentFilterRequest(RequestBody):
    """Body of ``POST /block_documents/filter`` (the client also sends an ignored
    ``block_schema_type``)."""

    block_documents: Optional[filters.BlockDocumentFilter] = None
    block_types: Optional[filters.BlockTypeFilter] = None
    block_schemas: Optional[filters.BlockSchemaFilter] = None
    include_secrets: bool = False
    limit: Limit = Field(default=None, validate_default=True)
    offset: Offset = 0


@router.post("/", status_code=201)
def create_block_document(
    request: HttpRequest, block_document: actions.BlockDocumentCreate
) -> core.BlockDocument:
    """Save a block document (the response shows secrets obfuscated)."""
    write_transaction(request)
    return block_documents.to_schema(block_documents.create_block_document(block_document))


@router.post("/filter")
def read_block_documents(
    request: HttpRequest, body: Optional[BlockDocumentFilterRequest] = None
) -> list[core.BlockDocument]:
    """Documents matching the filters, by name (anonymous ones hidden by default)."""
    body = body or BlockDocumentFilterRequest()  # the whole body may be omitted
    return block_documents.read_block_documents(
        block_document_filter=body.block_documents,
        block_type_filter=body.block_types,
        block_schema_filter=body.block_schemas,
        include_secrets=body.include_secrets,
        limit=body.limit,
        offset=body.offset,
    )


@router.get("/{uuid:id}")
def read_block_document(request: HttpRequest, id: UUID, include_secrets: bool = False) -> core.BlockDocument:
    """The document with this id (anonymous ones included)."""
    return block_documents.get_block_document(id, include_secrets)


@router.patch("/{uuid:id}", status_code=204)
def update_block_document(
    request: HttpRequest, id: UUID, block_document: actions.BlockDocumentUpdate
) -> None:
    """Merge into (or replace) a document's data, optionally moving it to another
    schema of the same block type."""
    write_transaction(request)
    block_documents.update_block_document(id, block_document)


@router.delete("/{uuid:id}", status_code=204)
def delete_block_document(request: HttpRequest, id: UUID) -> None:
    """Delete a document."""
    write_transaction(request)
    block_documents.delete_block_document(id)
