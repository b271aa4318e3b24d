"""``/collections/views/{view}``: registry views served from files, no network."""

from __future__ import annotations

import pytest

from api.blocks.builtin import load_builtin_blocks
from tests.fixtures.http import call

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


def test_aggregate_worker_metadata_offers_the_process_worker(client):
    # The official UI's work-pool create page reads it; its base job template is usable as is.
    response = call(client, "get", "/collections/views/aggregate-worker-metadata")
    assert response.status_code == 200
    process = response.json()["prefect"]["process"]
    assert process["type"] == "process"
    template = process["default_base_job_configuration"]
    assert set(template["job_configuration"]) == set(template["variables"]["properties"])
    created = call(client, "post", "/work_pools/", {"name": "from-view", "type": "process", "base_job_template": template})
    assert created.status_code == 201
    assert created.json()["base_job_template"] == template
