"""Artifacts: create-or-get by id, read, filter, update, delete."""

from __future__ import annotations

from typing import Any, Optional
from uuid import UUID

from django.db.models import QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone

from api import models
from api.crud.filters import artifacts_q, order_by
from api.crud.lookups import delete_or_not_found, first_or_not_found, update_or_not_found
from api.crud.paging import page
from api.schemas import actions, filters
from api.schemas.sorting import ArtifactSort

ARTIFACT_NOT_FOUND = "Artifact not found."


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    # The wire's ``metadata_`` is the ``metadata`` field (Django forbids trailing underscores).
    values = dict(values)
    if "metadata_" in values:
        values["metadata"] = values.pop("metadata_")
    return values


def create_artifact(artifact: actions.ArtifactCreate) -> models.Artifact:
    """Insert an artifact."""
    return models.Artifact.objects.create(**_columns(artifact.model_dump(mode="json")))


def get_artifact(artifact_id: UUID) -> models.Artifact:
    """The artifact with this id; ``NotFoundError`` if there is none."""
    return first_or_not_found(models.Artifact.objects.filter(pk=artifact_id), ARTIFACT_NOT_FOUND)


def read_artifacts(
    artifacts: Optional[filters.ArtifactFilter] = None,
    flow_runs: Optional[filters.FlowRunFilter] = None,
    task_runs: Optional[filters.TaskRunFilter] = None,
    sort: ArtifactSort = ArtifactSort.ID_DESC,
    limit: Optional[int] = None,
    offset: int = 0,
) -> list[models.Artifact]:
    """Artifacts matching the filters, sorted, one page."""
    queryset = models.Artifact.objects.filter(artifacts_q(artifacts, flow_runs, task_runs))
    return page(queryset.order_by(*order_by(sort)), offset, limit)


def update_artifact(artifact_id: UUID, update: actions.ArtifactUpdate) -> None:
    """Write the keys sent; ``NotFoundError`` if there is no such artifact."""
    values = _columns(update.model_dump(exclude_unset=True, mode="json"))
    update_or_not_found(
        models.Artifact.objects.filter(pk=artifact_id), ARTIFACT_NOT_FOUND, **values, updated=timezone.now()
    )


def delete_artifact(artifact_id: UUID) -> None:
    """Delete the artifact; ``NotFoundError`` if there is none."""
    delete_or_not_found(models.Artifact.objects.filter(pk=artifact_id), ARTIFACT_NOT_FOUND)


def delete_run_artifacts(artifacts: QuerySet[models.Artifact]) -> tuple[int, set[str]]:
    """Delete the artifacts of runs being deleted, in one statement; return how many went
    and the storage block documents their results named (``data.storage_block_id``), for
    the caller to delete once nothing else needs them.

    ``_raw_delete`` skips Django's cascade emulation: the only rows pointing at these
    artifacts are the states of the same runs, deleted in the same transaction.
    """
    storage_ids = set(
        artifacts.annotate(storage_block_id=KT("data__storage_block_id"))
        .filter(storage_block_id__isnull=False)
        .values_list("storage_block_id", flat=True)
        .distinct()
    )
    return artifacts._raw_delete(artifacts.db) or 0, storage_ids
