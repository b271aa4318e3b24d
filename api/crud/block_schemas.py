"""Block schemas and capabilities: create (deduplicated by checksum and version, nested
block schemas registered and referenced), read, filter and delete."""

from __future__ import annotations

import copy
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from api import models
from api.blocks.checksums import compute_block_schema_checksum
from api.crud import filters as filter_q
from api.crud.lookups import first_or_not_found
from api.crud.paging import page
from api.errors import ConflictError, ForbiddenError, NotFoundError
from api.schemas import actions, filters

BLOCK_SCHEMA_NOT_FOUND = "Block schema not found"
BLOCK_TYPE_ID_NOT_FOUND = "Block type {id} not found."
NESTED_DEFINITION_MISSING = "Cannot create block schema because the definition of nested block {slug!r} is missing."
PROTECTED_DELETE = "Block schemas for protected block types cannot be deleted."


class MissingBlockTypeError(ConflictError):
    """A nested block reference names a block type that is not registered."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"Cannot create block schema because block type {slug!r} was not found.")


def create_block_schema(block_schema: actions.BlockSchemaCreate) -> tuple[models.BlockSchema, bool]:
    """Insert a schema, or return the existing one with the same (checksum, version).

    Returns ``(schema, created)``. The checksum is the client's (``api.blocks.checksums``).
    Nested blocks listed in ``fields.block_schema_references`` are linked to their
    schemas, which are registered from ``fields.definitions`` when missing. An unknown
    block type is a ``NotFoundError``.
    """
    if not models.BlockType.objects.filter(pk=block_schema.block_type_id).exists():
        raise NotFoundError(BLOCK_TYPE_ID_NOT_FOUND.format(id=block_schema.block_type_id))
    fields = copy.deepcopy(block_schema.fields)
    checksum = compute_block_schema_checksum(fields)
    existing = read_block_schema_by_checksum(checksum, block_schema.version)
    if existing is not None:
        return existing, False
    referenced = _nested_block_schemas(fields)
    fields.setdefault("block_schema_references", {})
    try:
        with transaction.atomic():
            row = models.BlockSchema.objects.create(
                checksum=checksum,
                version=block_schema.version,
                fields=fields,
                capabilities=block_schema.capabilities,
                block_type_id=block_schema.block_type_id,
            )
            models.BlockSchemaReference.objects.bulk_create(
                models.BlockSchemaReference(
                    name=name, parent_block_schema=row, reference_block_schema=reference
                )
                for name, reference in referenced
            )
    except IntegrityError:
        # Registered concurrently by someone else: theirs is the one.
        existing = read_block_schema_by_checksum(checksum, block_schema.version)
        if existing is None:
            raise
        return existing, False
    return read_block_schema(row.id) or row, True


def _nested_block_schemas(fields: dict[str, Any]) -> list[tuple[str, models.BlockSchema]]:
    """The (field name, schema) pairs of the nested blocks a schema refers to."""
    references = fields.get("block_schema_references") or {}
    definitions = fields.get("definitions") or {}
    found = []
    for name, value in references.items():
        for reference in value if isinstance(value, list) else [value]:
            found.append((name, _referenced_block_schema(reference, definitions)))
    return found


def _referenced_block_schema(reference: dict[str, Any], definitions: dict[str, Any]) -> models.BlockSchema:
    """The schema a nested-block reference points at, registered from ``definitions``
    when the client has not registered it yet."""
    slug = reference.get("block_type_slug")
    checksum = reference.get("block_schema_checksum")
    schema = read_block_schema_by_checksum(checksum) if checksum else None
    if schema is not None:
        return schema
    block_type = models.BlockType.objects.filter(slug=slug).first()
    if block_type is None:
        raise MissingBlockTypeError(str(slug))
    for definition in definitions.values():
        if not isinstance(definition, dict) or definition.get("block_type_slug") != slug:
            continue
        candidate = {**definition, "definitions": definitions}
        if compute_block_schema_checksum(candidate) == checksum:
            schema, _ = create_block_schema(
                actions.BlockSchemaCreate(fields=candidate, block_type_id=block_type.id)
            )
            return schema
    raise ConflictError(NESTED_DEFINITION_MISSING.format(slug=slug))


def _schemas() -> QuerySet[models.BlockSchema]:
    return models.BlockSchema.objects.select_related("block_type")


def read_block_schema(block_schema_id: UUID) -> models.BlockSchema | None:
    """The schema with this id (its block type loaded), if any."""
    return _schemas().filter(pk=block_schema_id).first()


def get_block_schema(block_schema_id: UUID) -> models.BlockSchema:
    """The schema with this id (its block type loaded); ``NotFoundError`` if there is none."""
    return first_or_not_found(_schemas().filter(pk=block_schema_id), BLOCK_SCHEMA_NOT_FOUND)


def _by_checksum(checksum: str, version: str | None) -> QuerySet[models.BlockSchema]:
    """Schemas with this checksum (and version, when given), newest first."""
    queryset = _schemas().filter(checksum=checksum)
    if version is not None:
        queryset = queryset.filter(version=version)
    return queryset.order_by("-created")


def read_block_schema_by_checksum(checksum: str, version: str | None = None) -> models.BlockSchema | None:
    """The most recent schema with this checksum (and version, when given)."""
    return _by_checksum(checksum, version).first()


def get_block_schema_by_checksum(checksum: str, version: str | None = None) -> models.BlockSchema:
    """The most recent schema with this checksum (and version); ``NotFoundError`` if none."""
    return first_or_not_found(_by_checksum(checksum, version), BLOCK_SCHEMA_NOT_FOUND)


def read_block_schemas(
    block_schema_filter: filters.BlockSchemaFilter | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[models.BlockSchema]:
    """Schemas matching the filter, newest first, their block types loaded."""
    queryset = _schemas().filter(filter_q.block_schema_filter_q(block_schema_filter)).order_by("-created")
    return page(queryset, offset, limit)


def delete_block_schema(block_schema_id: UUID) -> None:
    """Delete a schema and the documents using it; ``NotFoundError`` if missing,
    ``ForbiddenError`` if its block type is protected."""
    row = get_block_schema(block_schema_id)
    if row.block_type.is_protected:
        raise ForbiddenError(PROTECTED_DELETE)
    row.delete()


def read_available_block_capabilities() -> list[str]:
    """Every capability some schema has, each once, sorted."""
    capability_lists = models.BlockSchema.objects.values_list("capabilities", flat=True).distinct()
    return sorted({capability for capabilities in capability_lists for capability in capabilities or ()})
