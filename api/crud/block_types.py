"""Block types: create, read (by id, slug or filter), update and delete."""

from __future__ import annotations

import html
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from api import models
from api.crud import filters as filter_q
from api.schemas import actions, filters

UPDATABLE_FIELDS = ("logo_url", "documentation_url", "description", "code_example")


def create_block_type(block_type: actions.BlockTypeCreate, is_protected: bool = False) -> models.BlockType:
    """Insert a block type; ``description`` and ``code_example`` are stored HTML-escaped.

    A duplicate slug raises ``IntegrityError`` (inside its own savepoint, so the
    caller's transaction stays usable).
    """
    values = block_type.model_dump()
    for key in ("description", "code_example"):
        if values[key] is not None:
            values[key] = html.escape(values[key], quote=False)
    with transaction.atomic():
        return models.BlockType.objects.create(**values, is_protected=is_protected)


def read_block_type(block_type_id: UUID) -> models.BlockType | None:
    """The block type with this id, if any."""
    return models.BlockType.objects.filter(pk=block_type_id).first()


def read_block_type_by_slug(slug: str) -> models.BlockType | None:
    """The block type with this slug, if any."""
    return models.BlockType.objects.filter(slug=slug).first()


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
    end = None if limit is None else offset + limit
    return list(queryset[offset:end])


def update_block_type(block_type_id: UUID, block_type: actions.BlockTypeUpdate) -> bool:
    """Change the fields sent (stored verbatim); False if there is no such block type."""
    values = block_type.model_dump(include=block_type.model_fields_set & set(UPDATABLE_FIELDS))
    return bool(
        models.BlockType.objects.filter(pk=block_type_id).update(**values, updated=timezone.now())
    )


def delete_block_type(block_type: models.BlockType) -> None:
    """Delete a block type with its schemas and documents."""
    block_type.delete()
