"""Registration of the built-in block types and schemas (``api.blocks.builtin``).

``register_builtin_blocks()`` upserts every built-in type (by slug) and creates each
schema unknown by (checksum, version); it is idempotent. ``register_on_startup()`` (a
start-up hook) runs it when ``PREFECT_API_BLOCKS_REGISTER_ON_START`` is on and the
catalogue's hash differs from the one remembered in the ``configuration`` table, so a
restart is one query while a new or wiped database is registered again.
``install_system_block_types()`` re-installs the protected types on demand.

Registration holds a database lock (``api.crud.locks.transaction_lock``) for its whole
transaction, so processes starting together register one after the other: the later
ones find the catalogue registered instead of colliding on ``uq_block_type__slug``.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from api import models
from api.blocks.builtin import BUILTIN_BLOCKS_PATH, load_builtin_blocks
from api.crud import block_schemas, block_types, locks
from api.schemas import actions

logger = logging.getLogger("orion.blocks")

REGISTRATION_KEY = "BLOCK_AUTO_REGISTRATION"
# Bump when what registration writes changes, so existing databases are re-registered.
REGISTRATION_FORMAT = "1"
# The name of the lock registration holds (see the module docstring).
REGISTRATION_LOCK = "block_registration"

_TYPE_FIELDS = ("logo_url", "documentation_url", "description", "code_example")


def catalogue_hash() -> str:
    """A hash of the built-in catalogue and of the registration format."""
    digest = hashlib.sha256(REGISTRATION_FORMAT.encode())
    digest.update(BUILTIN_BLOCKS_PATH.read_bytes())
    return digest.hexdigest()


def _nested_slugs(block: dict[str, Any]) -> set[str]:
    references = block["block_schema"]["fields"].get("block_schema_references") or {}
    slugs = set()
    for value in references.values():
        for reference in value if isinstance(value, list) else [value]:
            slugs.add(reference["block_type_slug"])
    return slugs


def _dependencies_first(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Blocks ordered so a nested block's schema is registered before its parents'."""
    by_slug = {block["slug"]: block for block in blocks}
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()

    def place(slug: str, visiting: frozenset[str]) -> None:
        if slug in placed or slug not in by_slug or slug in visiting:
            return
        for nested in sorted(_nested_slugs(by_slug[slug])):
            place(nested, visiting | {slug})
        placed.add(slug)
        ordered.append(by_slug[slug])

    for block in blocks:
        place(block["slug"], frozenset())
    return ordered


def register_blocks(blocks: list[dict[str, Any]]) -> None:
    """Upsert these catalogue blocks: types by slug (protected ones stay protected),
    schemas by (checksum, version), all in one transaction under the registration lock."""
    with transaction.atomic():
        locks.transaction_lock(REGISTRATION_LOCK)
        existing = {
            row.slug: row
            for row in models.BlockType.objects.filter(slug__in=[block["slug"] for block in blocks])
        }
        type_ids = {}
        for block in blocks:
            row = existing.get(block["slug"])
            if row is None:
                row = block_types.create_block_type(
                    actions.BlockTypeCreate(
                        name=block["name"],
                        slug=block["slug"],
                        **{key: block[key] for key in _TYPE_FIELDS},
                    ),
                    is_protected=block["is_protected"],
                )
            else:
                # Updates are stored verbatim (only creation escapes), as the client's PATCH.
                models.BlockType.objects.filter(pk=row.pk).update(
                    **{key: block[key] for key in _TYPE_FIELDS},
                    is_protected=row.is_protected or block["is_protected"],
                    updated=timezone.now(),
                )
            type_ids[block["slug"]] = row.pk
        for block in _dependencies_first(blocks):
            schema = block["block_schema"]
            block_schemas.create_block_schema(
                actions.BlockSchemaCreate(
                    fields=schema["fields"],
                    block_type_id=type_ids[block["slug"]],
                    capabilities=schema["capabilities"],
                    version=schema["version"],
                )
            )


def register_builtin_blocks() -> None:
    """Register the whole built-in catalogue and remember its hash (one transaction)."""
    with transaction.atomic():
        register_blocks(load_builtin_blocks())
        models.Configuration.objects.update_or_create(
            key=REGISTRATION_KEY, defaults={"value": {"hash": catalogue_hash()}}
        )


def install_system_block_types() -> None:
    """Register (again) the protected system block types and their schemas."""
    register_blocks([block for block in load_builtin_blocks() if block["is_protected"]])


def register_on_startup() -> None:
    """Start-up hook: register the catalogue unless disabled or already done for it."""
    if not settings.PREFECT_API_BLOCKS_REGISTER_ON_START or _is_registered():
        return
    with transaction.atomic():
        locks.transaction_lock(REGISTRATION_LOCK)
        # Another process may have registered it while this one waited for the lock.
        if _is_registered():
            return
        register_builtin_blocks()
    logger.info("Registered the built-in block types")


def _is_registered() -> bool:
    """Whether the current catalogue is registered (its hash is remembered)."""
    remembered = models.Configuration.objects.filter(key=REGISTRATION_KEY).first()
    return remembered is not None and remembered.value.get("hash") == catalogue_hash()
