"""``/collections/views/{view}``: registry views served from files, no network."""

from __future__ import annotations

import pytest

from api.blocks.builtin import load_builtin_blocks
from tests.api.runs_helpers import call

pytestmark = pytest.mark.django_db


def test_aggregate_block_metadata_lists_collection_blocks(client):
    response = call(client, "get", "/collections/views/aggregate-block-metadata")
    assert response.status_code == 200
    view = response.json()
    assert set(view) == {"prefect-aws", "prefect-azure", "prefect-databricks", "prefect-gcp"}
    aws = view["prefect-aws"]["block_types"]["aws-credentials"]
    builtin = {block["slug"]: block for block in load_builtin_blocks()}
    assert aws["name"] == "AWS Credentials"
    assert aws["block_schema"]["checksum"] == builtin["aws-credentials"]["block_schema"]["checksum"]


def test_unknown_view_is_404(client):
    missing = call(client, "get", "/collections/views/aggregate-flow-metadata-nope")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Requested content missing for view aggregate-flow-metadata-nope"}
    assert call(client, "get", "/collections/views/..%2Fsecrets").status_code == 404
