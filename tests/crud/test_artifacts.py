"""``api.crud.artifacts``: the wire's ``metadata_`` stored as ``metadata``, sorts, partial
updates, and the bulk delete of run artifacts reporting their storage blocks."""

from __future__ import annotations

import uuid

import pytest

from api import models
from api.crud import artifacts as crud
from api.schemas.actions import ArtifactUpdate
from api.schemas.sorting import ArtifactSort
from tests.fixtures.rows import new_artifact, new_flow_run, not_found

pytestmark = pytest.mark.django_db


def test_metadata_is_stored_under_its_model_name_and_updated_partially():
    row = new_artifact(key="k", data={"x": 1}, metadata_={"a": "b"})
    assert row.metadata == {"a": "b"}
    crud.update_artifact(row.id, ArtifactUpdate(metadata_={"c": "d"}))
    row.refresh_from_db()
    assert (row.metadata, row.data) == ({"c": "d"}, {"x": 1})
    with not_found("Artifact not found."):
        crud.update_artifact(uuid.uuid4(), ArtifactUpdate(data=1))


def test_artifacts_are_sorted_and_paged():
    for key in ("b", "a", "c"):
        new_artifact(key=key)
    assert [a.key for a in crud.read_artifacts(sort=ArtifactSort.KEY_ASC)] == ["a", "b", "c"]
    assert [a.key for a in crud.read_artifacts(sort=ArtifactSort.KEY_DESC, limit=2)] == ["c", "b"]
    assert [a.key for a in crud.read_artifacts(sort=ArtifactSort.KEY_ASC, offset=2)] == ["c"]


def test_deleting_run_artifacts_reports_the_storage_blocks_they_named():
    run = new_flow_run()
    storage = str(uuid.uuid4())
    new_artifact(flow_run_id=run.id, data={"storage_block_id": storage, "storage_key": "k"})
    new_artifact(flow_run_id=run.id, data={"storage_block_id": storage, "storage_key": "j"})
    new_artifact(flow_run_id=run.id, data=3)
    kept = new_artifact(key="kept")

    deleted, storage_ids = crud.delete_run_artifacts(models.Artifact.objects.filter(flow_run_id=run.id))
    assert (deleted, storage_ids) == (3, {storage})
    assert list(models.Artifact.objects.values_list("id", flat=True)) == [kept.id]
    crud.delete_artifact(kept.id)
    assert not models.Artifact.objects.exists()
    with not_found("Artifact not found."):
        crud.delete_artifact(kept.id)
