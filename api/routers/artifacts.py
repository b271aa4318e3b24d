"""Artifact routes (``/experimental/artifacts``), behind ``PREFECT_EXPERIMENTAL_ENABLE_ARTIFACTS``.

While the flag is off every route but ``POST .../filter`` answers 404 ``Artifacts are not
enabled``, as the original does (result artifacts are still stored by orchestration).
"""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from ninja.responses import Status
from pydantic import Field

from api.crud import artifacts
from api.dependencies import write_transaction
from api.errors import OrionHTTPError
from api.schemas import actions, filters
from api.schemas.base import Limit, Offset, RequestBody
from api.schemas.core import Artifact
from api.schemas.sorting import ArtifactSort
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/experimental/artifacts", tags=["Artifacts"])


def check_enabled() -> None:
    """Answer 404 unless artifacts are enabled."""
    if not settings.PREFECT_EXPERIMENTAL_ENABLE_ARTIFACTS:
        raise OrionHTTPError(404, "Artifacts are not enabled")


class ArtifactFilterRequest(RequestBody):
    """Body of ``POST /experimental/artifacts/filter``."""

    artifacts: Optional[filters.ArtifactFilter] = None
    flow_runs: Optional[filters.FlowRunFilter] = None
    task_runs: Optional[filters.TaskRunFilter] = None
    sort: ArtifactSort = ArtifactSort.ID_DESC
    limit: Limit = Field(default=None, validate_default=True)
    offset: Offset = 0


@router.post("/", status_code=201)
def create_artifact(request: HttpRequest, artifact: actions.ArtifactCreate) -> Artifact:
    """Store an artifact."""
    check_enabled()
    write_transaction(request)
    return Status(201, Artifact.model_validate(artifacts.create_artifact(artifact)))


@router.post("/filter")
def read_artifacts(request: HttpRequest, body: ArtifactFilterRequest) -> list[Artifact]:
    """Artifacts matching the filters, sorted, one page."""
    rows = artifacts.read_artifacts(
        artifacts=body.artifacts,
        flow_runs=body.flow_runs,
        task_runs=body.task_runs,
        sort=body.sort,
        limit=body.limit,
        offset=body.offset,
    )
    return [Artifact.model_validate(row) for row in rows]


@router.get("/{id}")
def read_artifact(request: HttpRequest, id: UUID) -> Artifact:
    """The artifact with this id."""
    check_enabled()
    return Artifact.model_validate(artifacts.get_artifact(id))


@router.patch("/{id}", status_code=204)
def update_artifact(request: HttpRequest, id: UUID, artifact: actions.ArtifactUpdate) -> None:
    """Write the fields sent."""
    check_enabled()
    write_transaction(request)
    artifacts.update_artifact(id, artifact)


@router.delete("/{id}", status_code=204)
def delete_artifact(request: HttpRequest, id: UUID) -> None:
    """Delete the artifact."""
    check_enabled()
    write_transaction(request)
    artifacts.delete_artifact(id)
