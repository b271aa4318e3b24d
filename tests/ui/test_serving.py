"""Serving the single-page UI: index fallback, cached assets, /ui-settings, and apps
built without a UI (``PREFECT_UI_ENABLED=false`` or ephemeral)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings
from django.test import Client
from pytest_django.fixtures import Settings

from api.asgi import create_app

INDEX_MARKER = b'<div id="app">'


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize("path", ["/", "/flow-runs", "/flow-runs/flow-run/1b7c6b5e-0000-4000-8000-000000000000", "/deep/link/page?x=1"])
def test_unknown_ui_paths_answer_the_index(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response["content-type"].startswith("text/html")
    assert INDEX_MARKER in _body(response)


def test_index_fallback_is_never_cached_stale(client: Client) -> None:
    response = client.get("/some/ui/page")
    assert "no-cache" in response["cache-control"]


@pytest.mark.parametrize("asset,content_type", [("/app.css", "text/css"), ("/js/main.js", "javascript")])
def test_assets_are_served_with_caching_headers(client: Client, asset: str, content_type: str) -> None:
    response = client.get(asset)
    assert response.status_code == 200
    assert content_type in response["content-type"]
    assert "max-age=" in response["cache-control"]
    assert response.has_header("etag") or response.has_header("last-modified")
    assert _body(response) == (django_settings.UI_ROOT / asset.lstrip("/")).read_bytes()


def test_api_paths_never_fall_back_to_the_index(client: Client) -> None:
    response = client.get("/api/not/a/route")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_admin_is_not_the_spa(client: Client) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["location"]


def test_ui_settings(client: Client, settings: Settings) -> None:
    settings.PREFECT_UI_API_URL = "http://orion.example:4200/api"
    response = client.get("/ui-settings")
    assert response.status_code == 200
    assert response.json() == {"api_url": "http://orion.example:4200/api", "flags": ["work_pools"]}


def test_ui_settings_lists_enabled_experiments(client: Client, settings: Settings) -> None:
    settings.PREFECT_EXPERIMENTAL_ENABLE_ARTIFACTS = True
    assert "artifacts" in client.get("/ui-settings").json()["flags"]


# --- apps without a UI -----------------------------------------------------------------------


def asgi_get(app: Any, path: str) -> httpx.Response:
    """GET ``path`` from an ASGI app in-process."""

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get(path)

    return async_to_sync(fetch)()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"settings": {"PREFECT_UI_ENABLED": False}, "ignore_cache": True},
        {"ephemeral": True, "ignore_cache": True},
    ],
    ids=["ui-disabled", "ephemeral"],
)
def test_apps_without_ui_serve_only_the_api(kwargs: dict[str, Any]) -> None:
    app = create_app(**kwargs)
    for path in ("/", "/flow-runs", "/ui-settings", "/app.css", "/js/main.js", "/index.html"):
        response = asgi_get(app, path)
        assert response.status_code == 404, path
        assert INDEX_MARKER.decode() not in response.text, path
    assert asgi_get(app, "/api/health").json() is True


def test_default_app_serves_the_ui() -> None:
    app = create_app()
    index = asgi_get(app, "/flow-runs")
    assert index.status_code == 200
    assert INDEX_MARKER.decode() in index.text
    assert asgi_get(app, "/app.css").status_code == 200
    assert asgi_get(app, "/ui-settings").json()["flags"] == ["work_pools"]
