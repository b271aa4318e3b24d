"""The ASGI application: ``create_app()`` and the HTTP handler it serves Django through.

``create_app()`` assembles what a server process serves: HTTP through ``OrionASGIHandler``
(the API alone for an ephemeral app; otherwise the project's URLconf from
``orion_project.urls``, with or without the UI), websockets through the live-update
consumers behind their guard, everything under the URL prefix, and (in a serving process)
the start-up sequence. ``api.server`` builds the API that the URLconf mounts; this module
sits above both, so neither imports it.

Django's stock ASGI handler runs a sync view in a new thread per request, hopping between
the event loop and that thread once per sync middleware boundary, and opens a new database
connection for every request. The API is sync (ORM-bound), so ``OrionASGIHandler`` reads
the body on the event loop, then runs the whole sync handler (middleware, view, the
response-scoped transaction) in one pooled thread that keeps its database connection
between requests. The pool is bounded; when too many requests are already waiting, the
server answers 503 with ``Retry-After`` (which the Prefect client retries) instead of
queueing without limit. Requests under ``/api/`` go through the lean ``API_MIDDLEWARE``
chain (``MiddlewareChainHandler``), the admin and the UI through ``MIDDLEWARE``.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings as django_settings
from django.core import signals
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed, RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, set_script_prefix
from django.utils.module_loading import import_string

from api import events
from api.auth.websocket import LiveGuard
from api.live import websocket_application
from api.server import api_urlpatterns, create_orion_api
from api.services import launcher
from api.utilities.prefix import PrefixedProtocolTypeRouter
from api.utilities.twisted_http import cache_content_type_parsing
from orion_project.urls import build_urlpatterns

API_PREFIX = "/api/"
HEALTH_PATH = "/api/health"
# Few threads: the work is CPU-bound under the GIL, and more threads only add contention
# (measured with bench/compare.sh: 4 beat 8 on both databases).
DEFAULT_WORKERS = int(os.environ.get("ORION_HTTP_WORKERS", "4"))
DEFAULT_MAX_WAITING = int(os.environ.get("ORION_HTTP_MAX_WAITING", "512"))


class MiddlewareChainHandler(BaseHandler):
    """Django's sync request path through the given middleware, not ``settings.MIDDLEWARE``.

    Builds the chain the way ``BaseHandler.load_middleware(is_async=False)`` does, from an
    explicit list of dotted paths. Every middleware must be sync-capable: the chain runs in
    one pool thread, which the response-scoped transaction relies on.
    """

    def __init__(self, middleware: Sequence[str]) -> None:
        super().__init__()
        self.middleware = tuple(middleware)
        self.load_middleware(is_async=False)

    def load_middleware(self, is_async: bool = False) -> None:
        """Wrap the view-calling core in ``self.middleware``, the first path outermost."""
        if is_async:
            raise ImproperlyConfigured("MiddlewareChainHandler builds sync chains only.")
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for middleware_path in reversed(self.middleware):
            middleware = import_string(middleware_path)
            if not getattr(middleware, "sync_capable", True):
                raise ImproperlyConfigured(f"Middleware {middleware_path} cannot run synchronously.")
            try:
                instance = middleware(handler)
            except MiddlewareNotUsed:
                continue  # e.g. metrics switched off
            if instance is None:
                raise ImproperlyConfigured(f"Middleware factory {middleware_path} returned None.")
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, self.adapt_method_mode(False, instance.process_view))
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(
                    self.adapt_method_mode(False, instance.process_template_response)
                )
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(self.adapt_method_mode(False, instance.process_exception))
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler


def _has_origin(scope: dict[str, Any]) -> bool:
    return any(name == b"origin" for name, _ in scope.get("headers", ()))


class OrionASGIHandler(ASGIHandler):
    """Serve HTTP through Django's sync handler on a bounded pool of threads.

    ``urlconf``: resolve requests against this URLconf instead of ``ROOT_URLCONF`` (how an
    ephemeral app serves the API alone). ``serve_ui``: whether the SPA's static files belong
    to this app (read by ``ui.middleware``).
    """

    def __init__(
        self,
        urlconf: Any = None,
        serve_ui: bool = True,
        workers: int = DEFAULT_WORKERS,
        max_waiting: int = DEFAULT_MAX_WAITING,
    ) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self._api_handler = MiddlewareChainHandler(django_settings.API_MIDDLEWARE)
        self.urlconf = urlconf
        self.serve_ui = serve_ui
        self.max_waiting = max_waiting
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="orion-http")
        self._in_flight = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """ASGI entry point for HTTP."""
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        events.bind_loop(asyncio.get_running_loop())
        path_info = scope["path"].removeprefix(scope.get("root_path", ""))
        if path_info == HEALTH_PATH and scope["method"] in ("GET", "HEAD") and not _has_origin(scope):
            # Clients poll health before every task run; answering it on the event loop
            # keeps it instant while the pool is busy with real work. Browser requests
            # (with an Origin) take the normal path, where CORS decides.
            await self._send_health(send)
            return
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with self._lock:
            overloaded = self._in_flight >= self.max_waiting
            if not overloaded:
                self._in_flight += 1
        if overloaded:
            body_file.close()
            busy = HttpResponse(b'{"detail":"Server busy, retry later."}', status=503, content_type="application/json")
            busy["Retry-After"] = "1"
            await self.send_response(busy, send)
            return
        loop = asyncio.get_running_loop()
        try:
            response = await loop.run_in_executor(self._executor, self._respond, scope, body_file)
        finally:
            with self._lock:
                self._in_flight -= 1
        try:
            await self.send_response(response, send)
        finally:
            body_file.close()

    @staticmethod
    async def _send_health(send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", b"4"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"true"})

    def _respond(self, scope: dict[str, Any], body_file: Any) -> HttpResponse:
        """Build the response in a pool thread (the whole sync Django request path)."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            return error_response
        request.serve_ui = self.serve_ui
        if self.urlconf is not None:
            request.urlconf = self.urlconf
        handler = self._api_handler if request.path_info.startswith(API_PREFIX) else self
        response = handler.get_response(request)
        if response.streaming:
            # Static files are small; read them here so sending never touches the pool.
            content = b"".join(response.streaming_content)
            plain = HttpResponse(content, status=response.status_code)
            for header, value in response.items():
                plain[header] = value
            plain["Content-Length"] = str(len(content))
            response.close()
            return plain
        # The body is in memory, so the response can be closed before it is sent: closing
        # sends request_finished here, on the thread whose DB connection it recycles.
        response.close()
        return response


class _URLConf:
    """A URLconf object (Django accepts any object with ``urlpatterns``)."""

    def __init__(self, urlpatterns: list[URLPattern | URLResolver]) -> None:
        self.urlpatterns = urlpatterns


_APP_CACHE: dict[tuple[Any, bool], Any] = {}


def _cache_key(settings: Mapping[str, Any] | None) -> Any:
    if settings is None:
        return None
    return tuple(sorted((key, repr(value)) for key, value in settings.items()))


def create_app(
    settings: Mapping[str, Any] | None = None,
    ephemeral: bool = False,
    ignore_cache: bool = False,
) -> Any:
    """Return the ASGI application, cached by ``(settings, ephemeral)``.

    ``settings`` overrides ``PREFECT_*`` values for what the factory decides (UI, services).
    An ephemeral app serves only the API: no UI, no admin, no services, no migrations.
    A non-ephemeral app in a serving process runs the start-up sequence (migrations,
    start-up hooks, services) once per process.
    """
    key = (_cache_key(settings), ephemeral)
    if not ignore_cache and key in _APP_CACHE:
        return _APP_CACHE[key]

    overrides = dict(settings or {})
    ui_enabled = overrides.get("PREFECT_UI_ENABLED", django_settings.PREFECT_UI_ENABLED)
    if ephemeral:
        urlconf: Any = _URLConf(api_urlpatterns(create_orion_api()))
    elif ui_enabled == django_settings.PREFECT_UI_ENABLED:
        urlconf = None  # the project's ROOT_URLCONF
    else:
        urlconf = _URLConf(build_urlpatterns(ui=bool(ui_enabled)))

    protocols: dict[str, Any] = {
        "http": OrionASGIHandler(urlconf=urlconf, serve_ui=bool(ui_enabled) and not ephemeral)
    }
    if not ephemeral:
        protocols["websocket"] = LiveGuard(websocket_application())
        launcher.start_if_serving(overrides)
    cache_content_type_parsing()  # daphne's per-request header parsing (see the module)
    # Under a URL prefix (ORION_URL_PREFIX or the server's root path) HTTP and websockets alike.
    prefix = overrides.get("ORION_URL_PREFIX", django_settings.ORION_URL_PREFIX)
    app = PrefixedProtocolTypeRouter(protocols, prefix=prefix)
    _APP_CACHE[key] = app
    # What start-up loaded (Django, the API, the schemas) lives as long as the process:
    # moving it out of the collector's generations keeps full collections, which the ORM's
    # allocation rate triggers often, from walking it again and again.
    gc.freeze()
    return app
