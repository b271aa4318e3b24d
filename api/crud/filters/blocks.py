"""Criteria of block types, block schemas and block documents."""

from __future__ import annotations

from typing import Optional

from django.db.models import Q

from api import models
from api.crud.filters.common import any_of, combine, id_q, joined_criteria, like, related
from api.schemas import filters as f


def block_type_filter_q(flt: Optional[f.BlockTypeFilter]) -> Q:
    """Criteria of a ``BlockTypeFilter`` on block types (always AND-ed)."""
    if flt is None:
        return Q()
    return combine([like("name", flt.name.like_ if flt.name else None), any_of("slug", flt.slug)])


@joined_criteria
def block_schema_filter_q(flt: f.BlockSchemaFilter) -> list[Q]:
    """Criteria of a ``BlockSchemaFilter`` on block schemas."""
    criteria = [any_of("block_type_id", flt.block_type_id), id_q(flt.id), any_of("version", flt.version)]
    if flt.block_capabilities is not None and flt.block_capabilities.all_:
        criteria.append(Q(capabilities__contains_all=flt.block_capabilities.all_))
    return criteria


def block_schemas_of_type_exist_q(flt: Optional[f.BlockSchemaFilter]) -> Q:
    """Block types having at least one schema that matches ``flt`` (no filter: all)."""
    return related(models.BlockSchema, block_schema_filter_q, flt, block_type_id="pk")


@joined_criteria
def block_document_filter_q(flt: f.BlockDocumentFilter) -> list[Q]:
    """Criteria of a ``BlockDocumentFilter`` on block documents."""
    criteria = [
        id_q(flt.id),
        # ``__in`` renders ``is_anonymous IN (false)``, which SQLite answers from the
        # (is_anonymous, name) index; ``NOT is_anonymous`` would scan every anonymous row.
        Q() if flt.is_anonymous is None or flt.is_anonymous.eq_ is None
        else Q(is_anonymous__in=[flt.is_anonymous.eq_]),
        any_of("block_type_id", flt.block_type_id),
        any_of("name", flt.name),
    ]
    return criteria


def block_document_related_q(
    block_types: Optional[f.BlockTypeFilter], block_schemas: Optional[f.BlockSchemaFilter]
) -> Q:
    """Block documents whose block type and block schema match the filters."""
    criteria = [
        related(models.BlockType, block_type_filter_q, block_types, pk="block_type_id"),
        related(models.BlockSchema, block_schema_filter_q, block_schemas, pk="block_schema_id"),
    ]
    return combine(criteria)
