"""The generated built-in block catalogue is consistent with the client's checksum recipe.

If any of these fail, the real 2.8.7 client would not find the server's built-in block
schemas by checksum (it would re-create them, or a UI-created block would not load).
Regenerate with ``api/blocks/generate_builtin_blocks.py``; never hand-edit the JSON.
Plain pytest: no Django, no database.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Self-contained: make the repo root importable however pytest was started.
_REPO_ROOT = Path(__file__).resolve().parents[2]
if str(_REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(_REPO_ROOT))

from api.blocks.builtin import load_block_capabilities, load_builtin_blocks  # noqa: E402
from api.blocks.checksums import compute_block_schema_checksum  # noqa: E402

BLOCKS = load_builtin_blocks()

# Checksum of LocalFileSystem as captured from the real 2.8.7 client (it is looked up on
# every flow run for default result storage; also in bench/orion_load.py).
LOCAL_FILE_SYSTEM_CHECKSUM = (
    "sha256:6db1ab242e7b2b88a52dc137a7da3a373af63e0a103b9a91e060ed54a26f395a"
)

# services.md §9.2: what a fresh 2.8.7 database contains.
EXPECTED_SLUGS = {
    # core, protected
    "date-time", "json", "local-file-system", "process", "secret", "webhook",
    # core
    "azure", "docker-container", "docker-registry", "gcs", "github",
    "kubernetes-cluster-config", "kubernetes-job", "mattermost-webhook",
    "ms-teams-webhook", "opsgenie-webhook", "pager-duty-webhook", "remote-file-system",
    "s3", "slack-webhook", "smb", "string", "twilio-sms",
    # collections
    "aws-credentials", "ecs-task", "azure-blob-storage-credentials",
    "azure-container-instance-credentials", "azure-container-instance-job",
    "azure-cosmos-db-credentials", "azureml-credentials", "databricks-credentials",
    "gcp-credentials", "bigquery-warehouse", "cloud-run-job",
}  # fmt: skip
PROTECTED_SLUGS = {"date-time", "json", "local-file-system", "process", "secret", "webhook"}


def _by_slug() -> dict[str, dict]:
    return {block["slug"]: block for block in BLOCKS}


@pytest.mark.parametrize("block", BLOCKS, ids=[b["slug"] for b in BLOCKS])
def test_checksum_matches_the_client_recipe(block: dict) -> None:
    schema = block["block_schema"]
    assert compute_block_schema_checksum(schema["fields"]) == schema["checksum"]


def test_slugs_are_unique_and_ordered() -> None:
    slugs = [block["slug"] for block in BLOCKS]
    assert len(slugs) == len(set(slugs))
    assert slugs == sorted(slugs)


def test_catalogue_is_what_a_fresh_2_8_7_server_registers() -> None:
    assert set(_by_slug()) == EXPECTED_SLUGS
    assert {b["slug"] for b in BLOCKS if b["is_protected"]} == PROTECTED_SLUGS


@pytest.mark.parametrize(
    "slug", ["local-file-system", "json", "string", "secret", "date-time", "process"]
)
def test_core_blocks_present_with_client_version(slug: str) -> None:
    block = _by_slug()[slug]
    assert block["source"] == "prefect"
    assert block["block_schema"]["version"] == "2.8.7"
    assert block["block_schema"]["fields"]["block_type_slug"] == slug


def test_local_file_system_checksum_is_the_one_the_client_looks_up() -> None:
    lfs = _by_slug()["local-file-system"]["block_schema"]
    assert lfs["checksum"] == LOCAL_FILE_SYSTEM_CHECKSUM
    assert lfs["capabilities"] == ["get-directory", "put-directory", "read-path", "write-path"]


def test_secret_fields_are_kept_inside_fields() -> None:
    blocks = _by_slug()
    assert blocks["secret"]["block_schema"]["fields"]["secret_fields"] == ["value"]
    assert blocks["webhook"]["block_schema"]["fields"]["secret_fields"] == ["url", "headers.*"]
    for block in BLOCKS:
        assert isinstance(block["block_schema"]["fields"]["secret_fields"], list)


def test_nested_block_references_resolve_inside_the_catalogue() -> None:
    known = {(b["slug"], b["block_schema"]["checksum"]) for b in BLOCKS}
    for block in BLOCKS:
        refs = block["block_schema"]["fields"].get("block_schema_references", {})
        for ref in refs.values():
            for one in ref if isinstance(ref, list) else [ref]:
                assert (one["block_type_slug"], one["block_schema_checksum"]) in known


def test_capabilities_file_lists_every_capability_in_use() -> None:
    used = {c for b in BLOCKS for c in b["block_schema"]["capabilities"]}
    assert load_block_capabilities() == sorted(used)
    for block in BLOCKS:
        caps = block["block_schema"]["capabilities"]
        assert caps == sorted(caps)


def test_checksum_ignores_secret_fields_and_key_order() -> None:
    fields = dict(_by_slug()["secret"]["block_schema"]["fields"])
    reordered = dict(reversed(list(fields.items())))
    reordered["secret_fields"] = []
    assert compute_block_schema_checksum(reordered) == compute_block_schema_checksum(fields)
    changed = {**fields, "title": "Other"}
    assert compute_block_schema_checksum(changed) != compute_block_schema_checksum(fields)
