"""The ASGI handler used by ``create_app()``: Django's sync request path on a thread pool.

Django's stock ASGI handler runs a sync view in a new thread per request, hopping between
the event loop and that thread once per sync middleware boundary, and opens a new database
connection for every request. The API is sync (ORM-bound), so this handler reads the body
on the event loop, then runs the whole sync handler (middleware, view, the response-scoped
transaction) in one pooled thread that keeps its database connection between requests.
The pool is bounded; when too many requests are already waiting, the server answers 503
with ``Retry-After`` (which the Prefect client retries) instead of queueing without limit.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import HttpResponse
from django.test.utils import override_settings
from django.urls import set_script_prefix

from api import events

logger = logging.getLogger("orion.server")

API_PREFIX = "/api/"
HEALTH_PATH = "/api/health"
# Few threads: the work is CPU-bound under the GIL, and more threads only add contention
# (measured with bench/compare.sh: 4 beat 8 on both databases).
DEFAULT_WORKERS = int(os.environ.get("ORION_HTTP_WORKERS", "4"))
DEFAULT_MAX_WAITING = int(os.environ.get("ORION_HTTP_MAX_WAITING", "512"))


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
        self._api_handler = BaseHandler()
        with override_settings(MIDDLEWARE=settings.API_MIDDLEWARE):
            self._api_handler.load_middleware(is_async=False)
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
