"""Artifacts: create-or-get by id, read, filter, update, delete."""

from __future__ import annotations

from typing import Any, Optional
from uuid import UUID

from django.db.models import QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone

from api import models
from api.crud.filters import artifacts_q, order_by
from api.crud.paging import page
from api.schemas import actions, filters
from api.schemas.sorting import ArtifactSort

def _columns(values: dict[str, Any]) -> dict[str, Any]:
    # The wire's ``metadata_`` is the ``metadata`` field (Django forbids trailing underscores).
    values = dict(values)
    if "metadata_" in values:
        values["metadata"] = values.pop("metadata_")
    return values


def create_artifact(artifact: actions.ArtifactCreate) -> models.Artifact:
    """Insert an artifact."""
    return models.Artifact.objects.create(**_columns(artifact.model_dump(mode="json")))


def read_artifact(artifact_id: UUID) -> Optional[models.Artifact]:
    """The artifact with this id, or None."""
    return models.Artifact.objects.filter(pk=artifact_id).first()


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


def update_artifact(artifact_id: UUID, update: actions.ArtifactUpdate) -> bool:
    """Write the keys sent; False if there is no such artifact."""
    values = _columns(update.model_dump(exclude_unset=True, mode="json"))
    return models.Artifact.objects.filter(pk=artifact_id).update(**values, updated=timezone.now()) > 0


def delete_artifact(artifact_id: UUID) -> bool:
    """Delete the artifact; False if there is none."""
    deleted, _ = models.Artifact.objects.filter(pk=artifact_id).delete()
    return deleted > 0


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
