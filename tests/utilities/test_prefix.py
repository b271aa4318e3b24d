"""``api.utilities.prefix``: every scope reaches Django and channels with the app's prefix
as ``root_path`` and a ``path`` that starts with it, however the proxy sent it."""

from __future__ import annotations

import pytest
from django.test import Client

from api.utilities.prefix import scope_with_prefix


@pytest.mark.parametrize(
    ("setting", "root_path", "path", "expected"),
    [
        # ORION_URL_PREFIX, the proxy forwarding the full path, or stripping it.
        ("/prefect", "", "/prefect/api/flows/", ("/prefect", "/prefect/api/flows/")),
        ("/prefect", "", "/api/flows/", ("/prefect", "/prefect/api/flows/")),
        ("/prefect", "", "/prefect", ("/prefect", "/prefect/")),
        # daphne --root-path or the Daphne-Root-Path header, with a trailing slash too.
        ("", "/prefect/", "/prefect/api/live", ("/prefect", "/prefect/api/live")),
        ("", "/prefect", "/api/live", ("/prefect", "/prefect/api/live")),
        # A path that merely starts with the same letters is not under the prefix.
        ("/prefect", "", "/prefectual", ("/prefect", "/prefect/prefectual")),
        # No prefix at all: the scope is left alone.
        ("", "", "/api/flows/", ("", "/api/flows/")),
    ],
)
def test_scope_gets_the_prefix(setting: str, root_path: str, path: str, expected: tuple[str, str]) -> None:
    scope = scope_with_prefix({"type": "http", "path": path, "root_path": root_path}, setting)
    assert (scope["root_path"], scope["path"]) == expected


def test_ui_settings_point_at_the_api_next_to_the_page(client: Client, settings) -> None:
    settings.PREFECT_UI_API_URL = None
    assert client.get("/ui-settings").json()["api_url"] == "/api"
    assert client.get("/ui-settings", SCRIPT_NAME="/prefect").json()["api_url"] == "/prefect/api"
