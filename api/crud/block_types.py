"""Block types: create, read (by id, slug or filter), update and delete."""

from __future__ import annotations

import html
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from api import models
from api.crud import filters as filter_q
from api.crud.lookups import first_or_not_found, update_or_not_found
from api.crud.paging import page
from api.errors import ConflictError, ForbiddenError
from api.schemas import actions, filters

UPDATABLE_FIELDS = ("logo_url", "documentation_url", "description", "code_example")
BLOCK_TYPE_NOT_FOUND = "Block type not found"
BLOCK_TYPE_EXISTS = 'Block type with name "{name}" already exists'
RESERVED_PREFIX = "prefect"
RESERVED_NAME = "Block type names beginning with 'Prefect' are reserved."
PROTECTED_DELETE = "protected block types cannot be deleted."


def check_block_type_name(name: str) -> None:
    """Refuse a new block type whose name is reserved for system types (``ForbiddenError``)."""
    if name.lower().startswith(RESERVED_PREFIX):
        raise ForbiddenError(RESERVED_NAME)


def create_block_type(block_type: actions.BlockTypeCreate, is_protected: bool = False) -> models.BlockType:
    """Insert a block type; ``description`` and ``code_example`` are stored HTML-escaped.

    A duplicate slug is a ``ConflictError`` (raised outside the insert's own savepoint,
    so the caller's transaction stays usable).
    """
    values = block_type.model_dump()
    for key in ("description", "code_example"):
        if values[key] is not None:
            values[key] = html.escape(values[key], quote=False)
    try:
        with transaction.atomic():
            return models.BlockType.objects.create(**values, is_protected=is_protected)
    except IntegrityError:
        raise ConflictError(BLOCK_TYPE_EXISTS.format(name=block_type.name)) from None


def get_block_type(block_type_id: UUID) -> models.BlockType:
    """The block type with this id; ``NotFoundError`` if there is none."""
    return first_or_not_found(models.BlockType.objects.filter(pk=block_type_id), BLOCK_TYPE_NOT_FOUND)


def read_block_type_by_slug(slug: str) -> models.BlockType | None:
    """The block type with this slug, if any."""
    return models.BlockType.objects.filter(slug=slug).first()


def get_block_type_by_slug(slug: str) -> models.BlockType:
    """The block type with this slug; ``NotFoundError`` if there is none."""
    return first_or_not_found(models.BlockType.objects.filter(slug=slug), BLOCK_TYPE_NOT_FOUND)


def read_block_types(
    block_type_filter: filters.BlockTypeFilter | None = None,
    block_schema_filter: filters.BlockSchemaFilter | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[models.BlockType]:
    """Block types matching the filters (a schema of the type must match the schema
    filter), ordered by name."""
    queryset = models.BlockType.objects.filter(
        filter_q.block_type_filter_q(block_type_filter),
        filter_q.block_schemas_of_type_exist_q(block_schema_filter),
    ).order_by("name")
    return page(queryset, offset, limit)


def update_block_type(block_type_id: UUID, block_type: actions.BlockTypeUpdate) -> None:
    """Change the fields sent (stored verbatim); ``NotFoundError`` if there is no such
    block type."""
    values = block_type.model_dump(include=block_type.model_fields_set & set(UPDATABLE_FIELDS))
    update_or_not_found(
        models.BlockType.objects.filter(pk=block_type_id), BLOCK_TYPE_NOT_FOUND, **values, updated=timezone.now()
    )


def delete_block_type(block_type_id: UUID) -> None:
    """Delete a block type with its schemas and documents; ``NotFoundError`` if missing,
    ``ForbiddenError`` if it is a protected system type."""
    row = get_block_type(block_type_id)
    if row.is_protected:
        raise ForbiddenError(PROTECTED_DELETE)
    row.delete()
