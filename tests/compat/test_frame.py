"""The frame of the API as the real client sees it: health, hello, version negotiation,
and the CLI starting up against our server."""

from __future__ import annotations

import json

from tests.compat.harness import format_process, last_json_line


def test_client_healthcheck_and_hello(run_client) -> None:
    """``api_healthcheck()`` returns None (healthy) and ``/hello`` answers through the
    client's own httpx client, which sends the client's API version header."""
    result = run_client(
        """
        import asyncio, json
        from prefect.client.orchestration import get_client

        async def main():
            async with get_client() as client:
                health = await client.api_healthcheck()
                hello = await client._client.get("/hello")
                print(json.dumps({
                    "health": None if health is None else repr(health),
                    "status": hello.status_code,
                    "body": hello.json(),
                    "sent_version": client._client.headers.get("X-PREFECT-API-VERSION"),
                }))

        asyncio.run(main())
        """
    )
    found = last_json_line(result)
    assert found == {"health": None, "status": 200, "body": "👋", "sent_version": "0.8.4"}, format_process(result)


def test_old_api_version_is_rejected(run_client) -> None:
    """A client that announces API version 0.7.0 gets the 400 with Prefect's message."""
    result = run_client(
        """
        import json, os
        import httpx

        response = httpx.get(
            os.environ["PREFECT_API_URL"] + "/hello",
            headers={"X-PREFECT-API-VERSION": "0.7.0",
                     # With ORION_COMPAT_AUTH=1, the key the client itself would send.
                     **({"Authorization": "Bearer " + os.environ["PREFECT_API_KEY"]} if os.environ.get("PREFECT_API_KEY") else {})},
        )
        print(json.dumps({"status": response.status_code, "body": response.json()}))
        """
    )
    assert last_json_line(result) == {
        "status": 400,
        "body": {
            "detail": "The request specified API version 0.7.0 but this server requires version 0.8.0 or higher."
        },
    }, format_process(result)


def test_cli_version(run_cli) -> None:
    """``prefect version`` runs with our server configured and reports a remote server."""
    result = run_cli("version")
    fields = {}
    for line in result.stdout.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    assert fields.get("Version") == "2.8.7", format_process(result)
    assert fields.get("API version") == "0.8.4", format_process(result)
    assert fields.get("Server type") == "server", format_process(result)
    # The CLI must not have fallen back to an in-process (ephemeral) server.
    assert "Database" not in fields, format_process(result)
