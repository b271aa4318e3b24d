"""The API's own middleware: the response-scoped exit stack and the JSON error shape.

Both run in both chains (``MIDDLEWARE`` and the lean ``API_MIDDLEWARE`` of ``/api``
requests, see ``orion_project/settings.py``), innermost, right around the view:

* ``APIErrorShapeMiddleware`` answers 405s under ``/api`` as JSON, as the original does.
* ``ResponseScopedExitStackMiddleware`` gives each request the exit stack that
  ``api.utilities.server.response_scoped_dependency`` enters context managers on (the
  request's write transaction, ``api.dependencies.write_transaction``), and closes it after
  the view, before the response leaves.

Two other middlewares of the chains live with the concern they serve, not here:
``api.metrics.MetricsMiddleware`` fills the metric families defined in ``api.metrics`` and
labels them with that module's route templates; ``api.auth.middleware.APIGuardMiddleware``
is the front door of the auth package (tokens, roles, CSRF, the audit trail) and shares
its state with it. ``ui.middleware`` serves the SPA's files.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

from django.http import HttpRequest, HttpResponseBase

from api.utilities.server import (
    EXCEPTION_ATTRIBUTE,
    RESPONSE_ATTRIBUTE,
    STACK_ATTRIBUTE,
    exception_response,
    json_response,
    mark_request_failed,
)

GetResponse = Callable[[HttpRequest], HttpResponseBase]


class APIErrorShapeMiddleware:
    """Answer 405s under ``/api`` as JSON (Ninja's own 405 is plain text)."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code == 405 and request.path_info.startswith("/api/"):
            allow = response.get("Allow")
            response = json_response({"detail": "Method Not Allowed"}, 405)
            if allow:
                response["Allow"] = allow
        return response


class ResponseScopedExitStackMiddleware:
    """Give each request an exit stack that closes before the response is returned.

    Each request gets an ``ExitStack`` that is closed after the view and before the
    response leaves, so a transaction entered on it commits before the client sees a 2xx;
    a failure while closing becomes an error response.

    Sync-only on purpose: Django then runs this middleware and a sync view in the same
    thread, so a database transaction entered on the stack by the view is committed (or
    rolled back, when the view failed) on the connection that opened it.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        stack = ExitStack()
        setattr(request, STACK_ATTRIBUTE, stack)
        try:
            response = self.get_response(request)
        except BaseException as exc:
            stack.__exit__(type(exc), exc, exc.__traceback__)
            raise
        failure = getattr(request, EXCEPTION_ATTRIBUTE, None)
        setattr(request, RESPONSE_ATTRIBUTE, response)
        try:
            if failure is not None:
                stack.__exit__(type(failure), failure, failure.__traceback__)
            else:
                stack.close()
        except Exception as exc:  # noqa: BLE001 - any close failure must not become a 2xx
            mark_request_failed(request, exc)  # e.g. a failed commit, seen by the metrics
            return exception_response(request, exc)
        return response
