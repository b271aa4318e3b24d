"""``create_app()``: the ASGI application, cached by ``(settings, ephemeral)``; an
ephemeral app serves the API alone and never starts the services."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.http import HttpRequest, JsonResponse
from django.urls import path

from api.asgi import OrionASGIHandler, _URLConf, create_app
from api.server import api_urlpatterns, create_orion_api
from api.services import launcher
from api.utilities.server import OrionRouter


def asgi_request(app: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """Send one request to an ASGI app in-process."""

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.request(method, path, **kwargs)

    return async_to_sync(fetch)()


@pytest.fixture
def startup_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record calls of the launcher's start-up entry point instead of running it."""
    calls: list[dict[str, Any]] = []

    def record(overrides: Mapping[str, Any] | None = None) -> bool:
        calls.append(dict(overrides or {}))
        return True

    monkeypatch.setattr(launcher, "start_if_serving", record)
    return calls


def test_app_is_cached_by_settings_and_ephemeral() -> None:
    default = create_app()
    assert create_app() is default
    ephemeral = create_app(ephemeral=True)
    assert ephemeral is not default
    assert create_app(ephemeral=True) is ephemeral
    no_ui = create_app(settings={"PREFECT_UI_ENABLED": False})
    assert no_ui is not default
    # Equal settings, not the same dict, hit the cache.
    assert create_app(settings={"PREFECT_UI_ENABLED": False}) is no_ui
    assert create_app(settings={"PREFECT_UI_ENABLED": False}, ephemeral=True) is not no_ui


def test_ignore_cache_builds_a_new_app() -> None:
    first = create_app(ephemeral=True)
    fresh = create_app(ephemeral=True, ignore_cache=True)
    assert fresh is not first
    assert asgi_request(fresh, "GET", "/api/health").json() is True


def test_app_serves_the_api_over_asgi(settings) -> None:
    settings.CORS_ALLOW_ALL_ORIGINS = True  # PREFECT_SERVER_CORS_ALLOWED_ORIGINS=*
    app = create_app()
    assert asgi_request(app, "GET", "/api/health").json() is True
    assert asgi_request(app, "GET", "/api/version").json() == "0.8.4"
    old = asgi_request(app, "GET", "/api/hello", headers={"x-prefect-api-version": "0.7.0"})
    assert old.status_code == 400
    preflight = asgi_request(
        app,
        "OPTIONS",
        "/api/flows/filter",
        headers={"origin": "http://ui.example", "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"


def test_ephemeral_app_has_no_ui_admin_or_websockets() -> None:
    app = create_app(ephemeral=True, ignore_cache=True)
    assert asgi_request(app, "GET", "/api/hello").json() == "👋"
    assert asgi_request(app, "GET", "/").status_code == 404
    assert asgi_request(app, "GET", "/admin/").status_code == 404
    assert "websocket" not in app.application_mapping
    assert "websocket" in create_app().application_mapping


def test_only_non_ephemeral_apps_start_up(startup_calls: list[dict[str, Any]]) -> None:
    create_app(ephemeral=True, ignore_cache=True)
    assert startup_calls == []
    create_app(settings={"PREFECT_API_SERVICES_LATE_RUNS_ENABLED": False}, ignore_cache=True)
    # The app's settings overrides reach the launcher (service flags, migrations).
    assert startup_calls == [{"PREFECT_API_SERVICES_LATE_RUNS_ENABLED": False}]


def test_start_up_runs_once_per_serving_process(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    monkeypatch.setattr(launcher, "_armed", True)
    monkeypatch.setattr(launcher, "_started", False)
    monkeypatch.setattr(launcher, "run_startup", lambda overrides=None: ran.append("startup"))
    monkeypatch.setattr(launcher, "start_services", lambda overrides=None: ran.append("services") or [])
    assert launcher.start_if_serving() is True
    assert launcher.start_if_serving() is False
    assert ran == ["startup", "services"]


def test_test_processes_never_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    monkeypatch.setattr(launcher, "run_startup", lambda overrides=None: ran.append("startup"))
    monkeypatch.setattr(launcher, "start_services", lambda overrides=None: ran.append("services") or [])
    # pytest is not a serving process, so the launcher is not armed here.
    assert launcher.start_if_serving() is False
    create_app(ignore_cache=True)
    assert ran == []


def test_static_files_are_sent_whole() -> None:
    app = create_app()
    logo = asgi_request(app, "GET", "/api/static/prefect-logo-mark-gradient.png")
    assert logo.status_code == 200
    assert logo.content.startswith(b"\x89PNG")
    assert int(logo.headers["content-length"]) == len(logo.content)


def test_overloaded_server_answers_503_with_retry_after() -> None:
    entered = threading.Event()
    release = threading.Event()
    router = OrionRouter(prefix="")

    @router.get("/hello")
    def hello(request: HttpRequest) -> str:
        return "hi"

    @router.get("/slow")
    def slow(request: HttpRequest) -> str:
        entered.set()
        release.wait(30)
        return "done"

    urlconf = _URLConf(api_urlpatterns(create_orion_api(router_overrides={"": router})))
    app = OrionASGIHandler(urlconf=urlconf, serve_ui=False, workers=2, max_waiting=1)

    async def scenario() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            first = asyncio.ensure_future(client.get("/api/slow"))
            deadline = time.monotonic() + 30
            while not entered.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            try:
                busy = await client.get("/api/hello")
            finally:
                release.set()
            done = await first
            # Once the slow request is answered, the server takes requests again.
            after = await client.get("/api/hello")
            return busy, done, after

    busy, done, after = async_to_sync(scenario)()
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "1"
    assert busy.json() == {"detail": "Server busy, retry later."}
    assert (done.status_code, done.json()) == (200, "done")
    assert (after.status_code, after.json()) == (200, "hi")


def _middleware_probe(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"session": hasattr(request, "session"), "user": hasattr(request, "user")})


def test_api_requests_skip_the_admin_middleware_and_other_paths_keep_it(settings) -> None:
    settings.CORS_ALLOW_ALL_ORIGINS = True  # PREFECT_SERVER_CORS_ALLOWED_ORIGINS=*
    urlconf = _URLConf([path("api/probe", _middleware_probe), path("probe", _middleware_probe)])
    handler = OrionASGIHandler(urlconf=urlconf)
    api = asgi_request(handler, "GET", "/api/probe", headers={"Origin": "http://ui.example"})
    # The API chain still has CORS, but no sessions or auth.
    assert api.headers["access-control-allow-origin"] == "*"
    assert api.json() == {"session": False, "user": False}
    assert asgi_request(handler, "GET", "/probe").json() == {"session": True, "user": True}
