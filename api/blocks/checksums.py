"""Block schema checksums, computed exactly as the Prefect 2.8.7 client computes them.

The client looks a block schema up by ``GET /block_schemas/checksum/{checksum}`` before
every block save, and the server answers ``POST /block_schemas/`` with a checksum it
derives from the submitted ``fields``.  Both sides must agree bit for bit, otherwise the
client keeps re-creating schemas (or cannot find the built-in ones).  The recipe
(spec: data-model.md §5.4) is:

1. Drop every key named ``secret_fields`` from the schema, recursing through nested
   *objects only* (lists are copied as they are, so a ``secret_fields`` key inside a list
   element survives -- the client behaves the same way).
2. If the result has a non-empty ``definitions`` object, keep only the definitions that
   are reachable through ``$ref`` strings and are *not* blocks (a definition carrying a
   ``block_type_slug`` is a nested block, whose identity is already captured by its own
   checksum in ``block_schema_references``).  Remove ``definitions`` altogether when
   nothing remains.
3. ``"sha256:" + sha256(json.dumps([[fields], {}], sort_keys=True)).hexdigest()`` with the
   standard-library defaults (``", "`` / ``": "`` separators, ``ensure_ascii=True``).  The
   odd ``[[fields], {}]`` envelope is how the client serialises its ``(args, kwargs)``
   pair before hashing.

This module is pure Python (no Django, no pydantic) so it can be used by the server, by
tests and by the data generator running inside a ``prefect==2.8.7`` virtualenv.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["compute_block_schema_checksum"]

_SECRET_FIELDS_KEY = "secret_fields"
_DEFINITIONS_KEY = "definitions"
_REF_KEY = "$ref"
_DEFINITION_REF_PREFIX = "#/definitions/"


def _without_key(obj: Any, key: str) -> Any:
    """Return a copy of ``obj`` with ``key`` removed from every nested dict.

    Only dicts are descended into; other values (lists included) are returned as they
    are.  Matching the client here matters more than being thorough.
    """
    if not isinstance(obj, dict):
        return obj
    return {k: _without_key(v, key) for k, v in obj.items() if k != key}


def _ref_strings(obj: Any) -> list[str]:
    """Collect every truthy ``$ref`` value found anywhere in ``obj`` (dicts and lists)."""
    found: list[str] = []
    stack: list[Any] = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get(_REF_KEY)
            if ref and isinstance(ref, str):
                found.append(ref)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _reachable_non_block_definitions(
    root: dict[str, Any], definitions: dict[str, Any]
) -> dict[str, Any]:
    """Definitions reachable from ``root`` via ``$ref`` that are not nested blocks.

    ``root`` is the whole schema, ``definitions`` included, so references made from
    inside any definition count as well.  A visited set stops the walk on
    self-referencing models (the result is the same set of keys; order is irrelevant
    because the final JSON is dumped with sorted keys).
    """
    kept: dict[str, Any] = {}
    visited: set[str] = set()
    pending: list[Any] = [root]
    while pending:
        node = pending.pop()
        for ref in _ref_strings(node):
            name = ref.replace(_DEFINITION_REF_PREFIX, "")
            if name in visited:
                continue
            visited.add(name)
            definition = definitions.get(name)
            # Falsy (missing/empty) definitions and nested blocks are not kept.
            if definition and definition.get("block_type_slug") is None:
                kept[name] = definition
                pending.append(definition)
    return kept


def compute_block_schema_checksum(fields: dict[str, Any]) -> str:
    """Return the ``sha256:<hex>`` checksum the 2.8.7 client computes for ``fields``.

    ``fields`` is a block schema's JSON Schema as sent on the wire (including
    ``secret_fields``, ``block_schema_references`` and ``definitions`` when present).
    The argument is not modified.
    """
    for_checksum = _without_key(fields, _SECRET_FIELDS_KEY)
    definitions = for_checksum.get(_DEFINITIONS_KEY)
    if definitions:
        kept = _reachable_non_block_definitions(for_checksum, definitions)
        if kept:
            for_checksum[_DEFINITIONS_KEY] = kept
        else:
            del for_checksum[_DEFINITIONS_KEY]
    payload = json.dumps([[for_checksum], {}], sort_keys=True)
    return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()
