"""The index page works under a sub-path: its base URL follows the mount prefix."""

from __future__ import annotations

from django.test import Client


def test_index_base_url_is_the_mount_prefix(client: Client) -> None:
    at_root = client.get("/flow-runs/flow-run/x")
    assert b'<base href="/">' in at_root.content
    proxied = client.get("/flow-runs/flow-run/x", SCRIPT_NAME="/orion")
    assert b'<base href="/orion/">' in proxied.content
    # The app's files are named relative to that base, so they load from the prefix too.
    assert b'src="js/main.js"' in proxied.content and b'href="app.css"' in proxied.content


def test_the_site_root_is_the_app(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b'<base href="/">' in response.content
    assert response["Cache-Control"] == "no-cache"
