"""Blocks as the real 2.8.7 client uses them: saving and loading built-in and custom
blocks (nested ones included), name clashes, secrets, protected types, and finding the
built-in schemas the server registered at start-up by checksum."""

from __future__ import annotations

import json
import subprocess
import uuid

from tests.compat.harness import format_process


def findings(result: subprocess.CompletedProcess[str]) -> dict:
    """The JSON object a client script printed on its last stdout line."""
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines, f"the client printed nothing\n{format_process(result)}"
    return json.loads(lines[-1])


def test_builtin_blocks_round_trip(run_client) -> None:
    """JSON, String, Secret and DateTime blocks save and load with their values."""
    suffix = uuid.uuid4().hex[:8]
    result = run_client(
        f"""
        import json
        import pendulum
        from prefect.blocks.system import JSON, DateTime, Secret, String

        JSON(value={{"a": [1, 2], "b": None}}).save("json-{suffix}")
        String(value="hello").save("string-{suffix}")
        Secret(value="s3cr3t").save("secret-{suffix}")
        DateTime(value=pendulum.datetime(2023, 3, 30, 9, 38, 24, 976127)).save("datetime-{suffix}")
        print(json.dumps({{
            "json": JSON.load("json-{suffix}").value,
            "string": String.load("string-{suffix}").value,
            "secret": Secret.load("secret-{suffix}").get(),
            "datetime": DateTime.load("datetime-{suffix}").value.isoformat(),
        }}))
        """
    )
    assert findings(result) == {
        "json": {"a": [1, 2], "b": None},
        "string": "hello",
        "secret": "s3cr3t",
        "datetime": "2023-03-30T09:38:24.976127+00:00",
    }, format_process(result)


def test_duplicate_name_needs_overwrite(run_client) -> None:
    """A second save under the same name fails with the client's "already in use" error;
    with ``overwrite=True`` it replaces the value."""
    name = f"dup-{uuid.uuid4().hex[:8]}"
    result = run_client(
        f"""
        import json
        from prefect.blocks.system import String

        String(value="first").save("{name}")
        try:
            String(value="second").save("{name}")
            error = None
        except ValueError as exc:
            error = str(exc)
        after_error = String.load("{name}").value
        String(value="third").save("{name}", overwrite=True)
        print(json.dumps({{"error": error, "after_error": after_error, "final": String.load("{name}").value}}))
        """
    )
    found = findings(result)
    assert found["error"] is not None and "already in use" in found["error"], format_process(result)
    assert found["after_error"] == "first"
    assert found["final"] == "third"


def test_secrets_are_obfuscated_unless_requested(run_client) -> None:
    name = f"secret-{uuid.uuid4().hex[:8]}"
    result = run_client(
        f"""
        import asyncio, json
        from prefect.blocks.system import Secret
        from prefect.client.orchestration import get_client

        async def main():
            document_id = await Secret(value="hunter2").save("{name}")
            async with get_client() as client:
                hidden = await client.read_block_document(document_id, include_secrets=False)
                shown = await client.read_block_document(document_id, include_secrets=True)
                raw = await client._client.get(f"/block_documents/{{document_id}}")
            print(json.dumps({{
                "hidden": hidden.data["value"],
                "shown": shown.data["value"],
                "http": raw.json()["data"]["value"],
                "slug": raw.json()["block_schema"]["block_type"]["slug"],
            }}))

        asyncio.run(main())
        """
    )
    assert findings(result) == {
        "hidden": "********",
        "shown": "hunter2",
        "http": "********",
        "slug": "secret",
    }, format_process(result)


def test_custom_block_with_a_nested_saved_block_round_trips(run_client) -> None:
    """A Block subclass defined by the user registers its type and schema, and a saved
    block nested in another is stored as a reference and loaded back whole."""
    suffix = uuid.uuid4().hex[:8]
    result = run_client(
        f"""
        import asyncio, json
        from typing import Optional
        from pydantic import SecretStr
        from prefect.blocks.core import Block
        from prefect.client.orchestration import get_client

        class CompatCredentials(Block):
            username: str
            token: SecretStr

        class CompatService(Block):
            _block_schema_capabilities = ["compat-call"]
            url: str
            retries: int = 3
            credentials: CompatCredentials

        credentials = CompatCredentials(username="me", token="t0ken")
        credentials.save("creds-{suffix}")
        CompatService(url="https://example.com", credentials=credentials).save("svc-{suffix}")
        loaded = CompatService.load("svc-{suffix}")
        generic = Block.load("compatservice/svc-{suffix}")

        async def server_view():
            async with get_client() as client:
                document = await client.read_block_document_by_name("svc-{suffix}", "compatservice")
                schema = await client.read_block_schema_by_checksum(CompatService._calculate_schema_checksum())
                return document, schema

        document, schema = asyncio.run(server_view())
        print(json.dumps({{
            "url": loaded.url,
            "retries": loaded.retries,
            "username": loaded.credentials.username,
            "token": loaded.credentials.token.get_secret_value(),
            "generic_class": type(generic).__name__,
            "references": sorted(document.block_document_references),
            "reference_name": document.block_document_references["credentials"]["block_document"]["name"],
            "capabilities": schema.capabilities,
            "schema_type": schema.block_type.slug,
        }}))
        """
    )
    assert findings(result) == {
        "url": "https://example.com",
        "retries": 3,
        "username": "me",
        "token": "t0ken",
        "generic_class": "CompatService",
        "references": ["credentials"],
        "reference_name": f"creds-{suffix}",
        "capabilities": ["compat-call"],
        "schema_type": "compatservice",
    }, format_process(result)


def test_protected_block_type_cannot_be_deleted(run_client) -> None:
    result = run_client(
        """
        import asyncio, json
        from prefect.client.orchestration import get_client
        from prefect.exceptions import ProtectedBlockError

        async def main():
            async with get_client() as client:
                block_type = await client.read_block_type_by_slug("secret")
                try:
                    await client.delete_block_type(block_type.id)
                    outcome = "deleted"
                except ProtectedBlockError:
                    outcome = "protected"
                still_there = (await client.read_block_type_by_slug("secret")).is_protected
            print(json.dumps({"outcome": outcome, "still_there": still_there}))

        asyncio.run(main())
        """
    )
    assert findings(result) == {"outcome": "protected", "still_there": True}, format_process(result)


def test_builtin_schema_is_found_by_checksum_without_posting_a_new_one(run_client, client_version: str) -> None:
    """The schemas registered at start-up are the ones the client computes: the client's
    LocalFileSystem checksum finds the built-in (2.8.7) schema. Saving one adds no schema
    with the 2.8.7 client; a later client registers its own version of the same schema,
    as it would with the original server (schemas are keyed by checksum and version)."""
    name = f"lfs-{uuid.uuid4().hex[:8]}"
    result = run_client(
        f"""
        import asyncio, json
        from prefect.client.orchestration import get_client
        from prefect.filesystems import LocalFileSystem

        async def main():
            checksum = LocalFileSystem._calculate_schema_checksum()
            async with get_client() as client:
                schema = await client.read_block_schema_by_checksum(checksum, version="2.8.7")
                await LocalFileSystem(basepath="/tmp/{name}").save("{name}")
                versions = [s.version for s in await client.read_block_schemas() if s.checksum == checksum]
                loaded = await LocalFileSystem.load("{name}")
            print(json.dumps({{
                "slug": schema.block_type.slug,
                "version": schema.version,
                "capabilities": sorted(schema.capabilities),
                "versions": sorted(versions),
                "basepath": loaded.basepath,
            }}))

        asyncio.run(main())
        """
    )
    assert findings(result) == {
        "slug": "local-file-system",
        "version": "2.8.7",
        "capabilities": ["get-directory", "put-directory", "read-path", "write-path"],
        "versions": sorted({"2.8.7", client_version}),
        "basepath": f"/tmp/{name}",
    }, format_process(result)


def test_cli_lists_block_types_and_saved_blocks(run_client, run_cli) -> None:
    """``prefect block type ls`` shows the built-in catalogue; ``prefect block ls`` shows
    a saved block but not the anonymous ones."""
    name = f"cli-{uuid.uuid4().hex[:8]}"
    run_client(
        f"""
        from prefect.blocks.system import String
        String(value="listed").save("{name}")
        String(value="hidden")._save(is_anonymous=True)
        """
    )
    wide = {"COLUMNS": "250"}
    types = run_cli(["block", "type", "ls"], env_extra=wide)
    for slug in ("local-file-system", "secret", "docker-container", "aws-credentials"):
        assert slug in types.stdout, format_process(types)
    blocks = run_cli(["block", "ls"], env_extra=wide)
    assert name in blocks.stdout, format_process(blocks)
    assert "anonymous-" not in blocks.stdout, format_process(blocks)
