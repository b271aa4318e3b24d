"""Block documents: data encrypted at rest, nested documents stored as references and
inlined on read, secrets obfuscated unless asked for.

Reads build complete response dicts (``api.schemas.core.BlockDocument`` shape) with a
fixed number of queries: one for the page (types and schemas joined) and one per level
of nesting for the referenced documents, however long the page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from cryptography.fernet import Fernet
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from api import models
from api.blocks.encryption import decrypt_data, encrypt_data, get_fernet
from api.crud import filters as filter_q
from api.crud.block_schemas import BLOCK_SCHEMA_NOT_FOUND
from api.crud.block_types import BLOCK_TYPE_NOT_FOUND
from api.crud.paging import page
from api.crud.prepared import PreparedQuery
from api.errors import ConflictError, InvalidInputError, NotFoundError, UnprocessableError
from api.schemas import actions, core, filters

OBFUSCATED = "********"
REFERENCE_KEY = "$ref"
BLOCK_DOCUMENT_NOT_FOUND = "Block document not found"
BLOCK_DOCUMENT_EXISTS = "Block already exists"
REFERENCE_NOT_FOUND = "Block document {id} not found."
REFERENCE_WITHOUT_ID = "Received a block reference without a block_document_id for key {key!r}."
REFERENCE_INVALID_ID = "Received an invalid block_document_id for key {key!r}."
OTHER_BLOCK_TYPE = "Must migrate block document to a block schema of the same block type."

FlatKey = tuple[str, ...]


# --- data helpers ----------------------------------------------------------------------


def _split_references(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, UUID]]:
    """Separate top-level ``{"$ref": {"block_document_id": ...}}`` values from plain data."""
    plain: dict[str, Any] = {}
    references: dict[str, UUID] = {}
    for key, value in data.items():
        if isinstance(value, dict) and REFERENCE_KEY in value:
            target = value[REFERENCE_KEY]
            if not isinstance(target, dict) or "block_document_id" not in target:
                raise UnprocessableError(REFERENCE_WITHOUT_ID.format(key=key))
            try:
                references[key] = UUID(str(target["block_document_id"]))
            except ValueError:
                raise UnprocessableError(REFERENCE_INVALID_ID.format(key=key)) from None
        else:
            plain[key] = value
    return plain, references


def _flatten(data: dict[str, Any], prefix: FlatKey = ()) -> dict[FlatKey, Any]:
    """Nested dicts as one dict keyed by key paths (empty dicts are kept as leaves)."""
    flat: dict[FlatKey, Any] = {}
    for key, value in data.items():
        path = (*prefix, str(key))
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, path))
        else:
            flat[path] = value
    return flat


def _unflatten(flat: dict[FlatKey, Any]) -> dict[str, Any]:
    """The inverse of :func:`_flatten`."""
    data: dict[str, Any] = {}
    for path, value in flat.items():
        node = data
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return data


def _secret_matchers(secret_fields: Iterable[str]) -> tuple[set[FlatKey], list[FlatKey]]:
    """Exact secret paths, and the prefixes of wildcard paths (``"headers.*"``)."""
    exact: set[FlatKey] = set()
    prefixes: list[FlatKey] = []
    for field in secret_fields:
        path = tuple(field.split("."))
        if "*" in path:
            prefixes.append(path[: path.index("*")])
        else:
            exact.add(path)
    return exact, prefixes


def _is_secret(path: FlatKey, exact: set[FlatKey], prefixes: list[FlatKey]) -> bool:
    return path in exact or any(path[: len(prefix)] == prefix for prefix in prefixes)


def obfuscate_secrets(data: dict[str, Any], secret_fields: Iterable[str]) -> dict[str, Any]:
    """``data`` with every non-null secret value replaced by ``********``."""
    exact, prefixes = _secret_matchers(secret_fields)
    if not exact and not prefixes:
        return data
    flat = _flatten(data)
    for path, value in flat.items():
        if value is not None and _is_secret(path, exact, prefixes):
            flat[path] = OBFUSCATED
    return _unflatten(flat)


def _restore_obfuscated(
    new_data: dict[str, Any], current_data: dict[str, Any], secret_fields: Iterable[str]
) -> dict[str, Any]:
    """Put back the stored secret wherever ``new_data`` sends its obfuscated form, so a
    document read without secrets can be posted back without destroying them."""
    exact, prefixes = _secret_matchers(secret_fields)
    flat_new = _flatten(new_data)
    flat_current = _flatten(current_data)
    restored = False
    for path, value in flat_new.items():
        if value == OBFUSCATED and path in flat_current and _is_secret(path, exact, prefixes):
            flat_new[path] = flat_current[path]
            restored = True
    return _unflatten(flat_new) if restored else new_data


def _secret_fields(block_schema: models.BlockSchema) -> list[str]:
    return list((block_schema.fields or {}).get("secret_fields") or [])


# --- reading ---------------------------------------------------------------------------


def _document_queryset() -> Any:
    return models.BlockDocument.objects.select_related("block_type", "block_schema__block_type")


def _load_children(
    rows: Iterable[models.BlockDocument],
) -> dict[UUID, list[tuple[str, models.BlockDocument]]]:
    """Referenced documents of ``rows`` and of their descendants: one query per level."""
    children: dict[UUID, list[tuple[str, models.BlockDocument]]] = {}
    frontier = {row.id for row in rows}
    seen = set(frontier)
    while frontier:
        references = (
            models.BlockDocumentReference.objects.filter(parent_block_document_id__in=frontier)
            .select_related(
                "reference_block_document__block_type",
                "reference_block_document__block_schema__block_type",
            )
            .order_by("name")
        )
        frontier = set()
        for reference in references:
            child = reference.reference_block_document
            children.setdefault(reference.parent_block_document_id, []).append((reference.name, child))
            if child.id not in seen:
                seen.add(child.id)
                frontier.add(child.id)
    return children


def _hydrate(
    row: models.BlockDocument,
    children: dict[UUID, list[tuple[str, models.BlockDocument]]],
    fernet: Fernet,
    path: frozenset[UUID] = frozenset(),
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Decrypted data with nested documents inlined, and the references description."""
    data = decrypt_data(row.data, fernet)
    references: dict[str, Any] = {}
    ancestors = path | {row.id}
    for name, child in children.get(row.id, ()):
        if child.id in ancestors:  # a reference cycle cannot be inlined
            continue
        child_data, child_references = _hydrate(child, children, fernet, ancestors)
        data[name] = child_data
        references[name] = {
            "block_document": {
                "id": str(child.id),
                "name": child.name,
                "block_type": core.BlockType.model_validate(child.block_type).model_dump(mode="json"),
                "is_anonymous": child.is_anonymous,
                "block_document_references": child_references,
            }
        }
    return data, references


def to_schemas(rows: list[models.BlockDocument], include_secrets: bool = False) -> list[core.BlockDocument]:
    """Response models for rows loaded with :func:`_document_queryset`."""
    if not rows:
        return []
    fernet = get_fernet()
    children = _load_children(rows)
    responses = []
    for row in rows:
        data, references = _hydrate(row, children, fernet)
        if not include_secrets:
            data = obfuscate_secrets(data, _secret_fields(row.block_schema))
        responses.append(
            core.BlockDocument.model_validate(
                {
                    "id": row.id,
                    "created": row.created,
                    "updated": row.updated,
                    "name": row.name,
                    "data": data,
                    "block_schema_id": row.block_schema_id,
                    "block_schema": core.BlockSchema.model_validate(row.block_schema),
                    "block_type_id": row.block_type_id,
                    "block_type": core.BlockType.model_validate(row.block_type),
                    "block_document_references": references,
                    "is_anonymous": row.is_anonymous,
                }
            )
        )
    return responses


def to_schema(row: models.BlockDocument, include_secrets: bool = False) -> core.BlockDocument:
    """The response model of one row (see :func:`to_schemas`)."""
    return to_schemas([row], include_secrets)[0]


def read_block_document_row(block_document_id: UUID) -> models.BlockDocument | None:
    """The document row with this id (type and schema loaded), if any."""
    return _DOCUMENT_BY_ID.first(block_document_id)


def read_block_document(block_document_id: UUID, include_secrets: bool = False) -> core.BlockDocument | None:
    """The document with this id, hydrated, if any (anonymous ones included)."""
    row = read_block_document_row(block_document_id)
    return None if row is None else to_schema(row, include_secrets)


def get_block_document(block_document_id: UUID, include_secrets: bool = False) -> core.BlockDocument:
    """The document with this id, hydrated; ``NotFoundError`` if there is none."""
    document = read_block_document(block_document_id, include_secrets)
    if document is None:
        raise NotFoundError(BLOCK_DOCUMENT_NOT_FOUND)
    return document


def get_block_document_by_name(name: str, block_type_slug: str, include_secrets: bool = False) -> core.BlockDocument:
    """The document of this block type with this name; ``NotFoundError`` if there is none."""
    row = _document_queryset().filter(name=name, block_type__slug=block_type_slug).first()
    if row is None:
        raise NotFoundError(BLOCK_DOCUMENT_NOT_FOUND)
    return to_schema(row, include_secrets)


def read_block_documents(
    block_document_filter: filters.BlockDocumentFilter | None = None,
    block_type_filter: filters.BlockTypeFilter | None = None,
    block_schema_filter: filters.BlockSchemaFilter | None = None,
    include_secrets: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[core.BlockDocument]:
    """Documents matching the filters, ordered by name; anonymous ones are hidden unless
    the document filter asks for them (no filter means the default one)."""
    if block_document_filter is None:
        block_document_filter = filters.BlockDocumentFilter()
    queryset = (
        _document_queryset()
        .filter(
            filter_q.block_document_filter_q(block_document_filter),
            filter_q.block_document_related_q(block_type_filter, block_schema_filter),
        )
        .order_by("name")
    )
    return to_schemas(page(queryset, offset, limit), include_secrets)


# --- writing ---------------------------------------------------------------------------


def _check_references_exist(references: dict[str, UUID]) -> None:
    wanted = set(references.values())
    if not wanted:
        return
    found = set(models.BlockDocument.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    missing = wanted - found
    if missing:
        raise NotFoundError(REFERENCE_NOT_FOUND.format(id=sorted(map(str, missing))[0]))


# The client creates a result-storage document on every flow run: its checks are prepared.
_SCHEMA_EXISTS = PreparedQuery(lambda pk: models.BlockSchema.objects.filter(pk=pk).values_list("pk")[:1], UUID)
_DOCUMENT_BY_ID = PreparedQuery(lambda pk: _document_queryset().filter(pk=pk)[:1], UUID)
_TYPE_EXISTS = PreparedQuery(lambda pk: models.BlockType.objects.filter(pk=pk).values_list("pk")[:1], UUID)


def create_block_document(block_document: actions.BlockDocumentCreate) -> models.BlockDocument:
    """Insert a document; anonymous ones without a name get ``anonymous-<uuid>``.

    A missing schema or block type (or referenced document) is a ``NotFoundError``; a
    duplicate name for the block type is a ``ConflictError``.
    """
    name = block_document.name
    if name is None and block_document.is_anonymous:
        name = f"anonymous-{uuid.uuid4()}"
    if not _SCHEMA_EXISTS.all(block_document.block_schema_id):
        raise NotFoundError(BLOCK_SCHEMA_NOT_FOUND)
    if not _TYPE_EXISTS.all(block_document.block_type_id):
        raise NotFoundError(BLOCK_TYPE_NOT_FOUND)
    data, references = _split_references(block_document.data)
    _check_references_exist(references)
    try:
        with transaction.atomic():
            row = models.BlockDocument.objects.create(
                name=name,
                data=encrypt_data(data),
                is_anonymous=block_document.is_anonymous,
                block_type_id=block_document.block_type_id,
                block_schema_id=block_document.block_schema_id,
            )
            _write_references(row, references)
    except IntegrityError:
        raise ConflictError(BLOCK_DOCUMENT_EXISTS) from None
    return _DOCUMENT_BY_ID.first(row.id)


def _write_references(row: models.BlockDocument, references: dict[str, UUID]) -> None:
    models.BlockDocumentReference.objects.bulk_create(
        models.BlockDocumentReference(name=key, parent_block_document=row, reference_block_document_id=target)
        for key, target in references.items()
    )


def update_block_document(block_document_id: UUID, update: actions.BlockDocumentUpdate) -> None:
    """Merge (or replace) a document's data; ``NotFoundError`` if there is no such document.

    Obfuscated secrets sent back keep their stored values. References are re-synced:
    a key sent with a ``$ref`` (re)points it, a key sent with plain data drops its
    reference, and when replacing every reference not sent is dropped. A new
    ``block_schema_id`` must belong to the same block type and is applied only
    together with ``data``.
    """
    row = _document_queryset().select_for_update(of=("self",)).filter(pk=block_document_id).first()
    if row is None:
        raise NotFoundError(BLOCK_DOCUMENT_NOT_FOUND)
    data_sent = "data" in update.model_fields_set
    new_schema = row.block_schema
    if update.block_schema_id is not None and update.block_schema_id != row.block_schema_id:
        new_schema = models.BlockSchema.objects.filter(pk=update.block_schema_id).first()
        if new_schema is None:
            raise NotFoundError(BLOCK_SCHEMA_NOT_FOUND)
        if new_schema.block_type_id != row.block_type_id:
            raise InvalidInputError(OTHER_BLOCK_TYPE)
    if not data_sent and update.merge_existing_data:
        return

    fernet = get_fernet()
    children = _load_children([row])
    current_full, _ = _hydrate(row, children, fernet)
    sent = _restore_obfuscated(update.data, current_full, _secret_fields(row.block_schema))
    sent_plain, sent_references = _split_references(sent)
    _check_references_exist(sent_references)
    existing = {name: child.id for name, child in children.get(row.id, ())}
    if update.merge_existing_data:
        data = decrypt_data(row.data, fernet)
        data.update(sent_plain)
        references = {name: target for name, target in existing.items() if name not in sent}
    else:
        data = sent_plain
        references = {}
    references.update(sent_references)

    row.data = encrypt_data(data, fernet)
    fields_to_save = ["data"]
    if data_sent and new_schema.pk != row.block_schema_id:
        row.block_schema = new_schema
        fields_to_save.append("block_schema")
    row.save(update_fields=fields_to_save)
    if references != existing:
        models.BlockDocumentReference.objects.filter(parent_block_document=row).delete()
        _write_references(row, references)


def delete_block_document(block_document_id: UUID) -> None:
    """Delete a document (its references go with it); ``NotFoundError`` if there is none."""
    row = models.BlockDocument.objects.filter(pk=block_document_id).first()
    if row is None:
        raise NotFoundError(BLOCK_DOCUMENT_NOT_FOUND)
    row.delete()


# --- anonymous documents left behind by deleted runs -----------------------------------


def storage_block_id_of_artifact() -> Cast:
    """``data.storage_block_id`` of an artifact, as text (served by
    ``ix_artifact__storage_block_id`` on PostgreSQL). The cast makes ``__in`` compare
    plain strings: on a bare key-text transform SQLite would parse the values as JSON."""
    return Cast(KT("data__storage_block_id"), output_field=TextField())


def _artifacts_of_runs(runs: QuerySet[models.FlowRun]) -> QuerySet[models.Artifact]:
    run_ids = runs.values("pk")
    task_run_ids = models.TaskRun.objects.filter(flow_run__in=run_ids).values("pk")
    return models.Artifact.objects.filter(Q(flow_run_id__in=run_ids) | Q(task_run_id__in=task_run_ids))


def _unreferenced_anonymous(ignored_runs: QuerySet[models.FlowRun] | None = None) -> QuerySet[models.BlockDocument]:
    """Anonymous documents that no row points at by foreign key (rows of
    ``ignored_runs`` do not count)."""
    pk = OuterRef("pk")
    run_references = models.FlowRun.objects.filter(infrastructure_document=pk)
    if ignored_runs is not None:
        run_references = run_references.exclude(pk__in=ignored_runs.values("pk"))
    return models.BlockDocument.objects.filter(is_anonymous=True).exclude(
        Exists(models.Deployment.objects.filter(storage_document=pk))
        | Exists(models.Deployment.objects.filter(infrastructure_document=pk))
        | Exists(run_references)
        | Exists(models.BlockDocumentReference.objects.filter(reference_block_document=pk))
        | Exists(models.FlowRunNotificationPolicy.objects.filter(block_document=pk))
    )


def _without_artifact_references(
    ids: list[UUID], ignored_runs: QuerySet[models.FlowRun] | None = None
) -> list[UUID]:
    """The ids no artifact names as its result storage (``data.storage_block_id``;
    artifacts of ``ignored_runs`` do not count)."""
    if not ids:
        return []
    artifacts = models.Artifact.objects.all()
    if ignored_runs is not None:
        artifacts = artifacts.exclude(pk__in=_artifacts_of_runs(ignored_runs).values("pk"))
    used = set(
        artifacts.annotate(storage_block_id=storage_block_id_of_artifact())
        .filter(storage_block_id__in=[str(i) for i in ids])
        .values_list("storage_block_id", flat=True)
    )
    return [i for i in ids if str(i) not in used]


def anonymous_block_documents_of_runs(runs: QuerySet[models.FlowRun]) -> set[UUID]:
    """The anonymous documents these flow runs use: their infrastructure documents and
    the result storage their (and their task runs') artifacts name."""
    named = set(
        _artifacts_of_runs(runs)
        .annotate(storage_block_id=KT("data__storage_block_id"))
        .filter(storage_block_id__isnull=False)
        .values_list("storage_block_id", flat=True)
        .distinct()
    )
    named.update(runs.filter(infrastructure_document__isnull=False).values_list("infrastructure_document_id", flat=True))
    ids = {UUID(str(i)) for i in named}
    return set(models.BlockDocument.objects.filter(pk__in=ids, is_anonymous=True).values_list("pk", flat=True))


def count_block_documents_freed_by(runs: QuerySet[models.FlowRun]) -> int:
    """How many anonymous documents deleting these flow runs would delete with them."""
    candidates = anonymous_block_documents_of_runs(runs)
    ids = list(_unreferenced_anonymous(runs).filter(pk__in=candidates).values_list("pk", flat=True))
    return len(_without_artifact_references(ids, runs))


def delete_unreferenced_anonymous_block_documents(candidate_ids: Iterable[UUID | str]) -> int:
    """Delete those of ``candidate_ids`` that are anonymous and that nothing references
    any more (the result storage and infrastructure documents of deleted runs); named
    documents are never touched. Returns how many were deleted."""
    candidates = {UUID(str(i)) for i in candidate_ids if i}
    if not candidates:
        return 0
    ids = list(_unreferenced_anonymous().filter(pk__in=candidates).values_list("pk", flat=True))
    ids = _without_artifact_references(ids)
    if not ids:
        return 0
    models.BlockDocument.objects.filter(pk__in=ids).delete()
    return len(ids)


def unreferenced_anonymous_block_documents_page(
    created_before: dt.datetime, limit: int, after_id: UUID | None = None
) -> tuple[list[UUID], UUID | None]:
    """One page (by id) of anonymous documents created before ``created_before`` that
    nothing references: the result-storage document the client saves for every flow run,
    once the run is gone or never persisted a result. Returns the ids to delete and the
    id to continue after (None on the last page)."""
    candidates = _unreferenced_anonymous().filter(created__lt=created_before).order_by("pk")
    if after_id is not None:
        candidates = candidates.filter(pk__gt=after_id)
    ids = list(candidates.values_list("pk", flat=True)[:limit])
    next_after = ids[-1] if len(ids) == limit else None
    return _without_artifact_references(ids), next_after
