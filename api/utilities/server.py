"""Server utilities: the Orion router base, response-scoped exit stacks and error shapes.

* ``OrionRouter``: a Ninja router whose operations take their response schema from the
  view's return annotation and accept ``status_code=``; 204 operations send an empty body.
* ``response_scoped_dependency()``: enter a context manager, from a view, on the request's
  exit stack (``api.middleware.ResponseScopedExitStackMiddleware`` closes it after the view,
  before the response leaves); the ``*_ATTRIBUTE`` names are the request attributes the
  middleware and its users share.
* ``method_paths_from_routes()``: the ``"METHOD path"`` strings a router serves.
* ``exception_response()``: the API's error shapes (``ERROR_RESPONSES`` maps each domain
  error of ``api.errors`` to its status and body key); a database outage (see
  ``api.utilities.database``) is answered 503 with ``Retry-After``, never 500.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from ninja import Router
from ninja.constants import NOT_SET
from ninja.errors import HttpError
from ninja.responses import Status
from ninja.signature.utils import get_typed_signature

from api.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    ObjectNotFoundError,
    OrionError,
    OrionHTTPError,
    UnprocessableError,
)
from api.schemas.base import RequestBody
from api.utilities.database import describe, is_database_unavailable

logger = logging.getLogger("orion.server")

STACK_ATTRIBUTE = "response_scoped_stack"
EXCEPTION_ATTRIBUTE = "response_scoped_exception"
# The view's response, readable by exit callbacks on the stack (the audit row's status).
RESPONSE_ATTRIBUTE = "response_scoped_response"

INTEGRITY_DETAIL = (
    "Data integrity conflict. This usually means a unique or foreign key constraint was "
    "violated. See server logs for details."
)

DATABASE_UNAVAILABLE_DETAIL = "The database is unavailable; retry later."

T = TypeVar("T")

# Each domain error's HTTP answer: status and the body key its message goes under. The
# most specific class wins (lookup walks the exception's MRO), so a subclass may differ.
ERROR_RESPONSES: dict[type[OrionError], tuple[int, str]] = {
    ObjectNotFoundError: (404, "exception_message"),
    NotFoundError: (404, "detail"),
    ConflictError: (409, "detail"),
    InvalidInputError: (400, "detail"),
    ForbiddenError: (403, "detail"),
    UnprocessableError: (422, "detail"),
}


def json_response(body: Any, status: int) -> HttpResponse:
    """A JSON response rendered with the API's renderer."""
    from api.utilities.renderers import dumps

    return HttpResponse(dumps(body), status=status, content_type="application/json")


def exception_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """Map an exception raised while serving ``request`` to the API's error shapes."""
    if isinstance(exc, OrionHTTPError):
        if exc.detail is None:
            return HttpResponse(status=exc.status_code)
        return json_response({"detail": exc.detail}, exc.status_code)
    if isinstance(exc, OrionError):
        for cls in type(exc).__mro__:
            if cls in ERROR_RESPONSES:
                status, key = ERROR_RESPONSES[cls]
                return json_response({key: exc.detail}, status)
    if isinstance(exc, HttpError):
        return json_response({"detail": exc.message}, exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        # A client error, not a server fault: say so instead of logging a traceback.
        return json_response({"detail": "Request body too large."}, 413)
    if is_database_unavailable(exc):
        # An outage, not a bug: one line per request, and an answer the client retries.
        logger.warning("Database unavailable on %s %s: %s", request.method, request.path, describe(exc))
        return database_unavailable_response()
    if isinstance(exc, IntegrityError):
        logger.warning("Integrity error on %s %s: %s", request.method, request.path, exc)
        return json_response({"detail": INTEGRITY_DETAIL}, 409)
    logger.error("Unhandled error on %s %s", request.method, request.path, exc_info=exc)
    return json_response({"exception_message": "Internal Server Error"}, 500)


def database_unavailable_response() -> HttpResponse:
    """503 with ``Retry-After``: the Prefect client waits that long and retries."""
    response = json_response({"detail": DATABASE_UNAVAILABLE_DETAIL}, 503)
    response["Retry-After"] = str(settings.ORION_DATABASE_RETRY_AFTER_SECONDS)
    return response


def mark_request_failed(request: HttpRequest, exc: BaseException) -> None:
    """Remember that the view failed, so its response-scoped stack unwinds as a failure."""
    setattr(request, EXCEPTION_ATTRIBUTE, exc)


def response_scoped_dependency(factory: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a context-manager factory (or generator function) into a response-scoped one.

    The returned callable takes the request first, enters ``factory(*args, **kwargs)`` on
    the request's response-scoped stack and returns what the context manager yields. The
    context exits after the view, before the response is sent.
    """
    manager = contextlib.contextmanager(factory) if inspect.isgeneratorfunction(factory) else factory

    @functools.wraps(factory)
    def enter(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        stack = getattr(request, STACK_ATTRIBUTE, None)
        if stack is None:
            raise RuntimeError("ResponseScopedExitStackMiddleware is not installed")
        return stack.enter_context(manager(*args, **kwargs))

    return enter


def method_paths_from_routes(router: Router) -> set[str]:
    """The ``"METHOD path"`` strings a router serves (paths relative to its prefix)."""
    method_paths: set[str] = set()
    for path, path_view in router.path_operations.items():
        for operation in path_view.operations:
            for method in operation.methods:
                method_paths.add(f"{method.upper()} {path}")
    for prefix, child, *_ in router._routers:
        method_paths |= {
            f"{mp.split(' ', 1)[0]} {prefix.rstrip('/')}{mp.split(' ', 1)[1]}"
            for mp in method_paths_from_routes(child)
        }
    return method_paths


def _return_annotation(view_func: Callable[..., Any]) -> Any:
    try:
        hints = typing.get_type_hints(view_func, include_extras=True)
    except Exception:  # noqa: BLE001 - an unresolvable hint just means "no schema"
        return NOT_SET
    if "return" not in hints:
        return NOT_SET
    annotation = hints["return"]
    if annotation is type(None) or annotation is None:
        return NOT_SET
    if isinstance(annotation, type) and issubclass(annotation, HttpResponseBase):
        return NOT_SET
    return annotation


class OrionRouter(Router):
    """A Ninja router for the Orion API.

    * Operations without an explicit ``response`` take it from the return annotation.
    * ``status_code=`` sets the success status; a view may still return ``Status(200, x)``
      (create-or-get routes answer 201 for new rows and 200 for existing ones).
    * 204 operations answer an empty body whatever the view returns.

    ``prefix`` is where ``api.server`` mounts the router, and the key by which
    ``create_orion_api(router_overrides=...)`` names it.
    """

    def __init__(self, prefix: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prefix = prefix

    def api_operation(
        self,
        methods: list[str],
        path: str,
        *,
        status_code: int | None = None,
        response: Any = NOT_SET,
        **kwargs: Any,
    ) -> Callable[[T], T]:
        """Register the decorated view for ``methods`` on ``path``."""

        def decorator(view_func: T) -> T:
            self.add_api_operation(
                path, methods, view_func, status_code=status_code, response=response, **kwargs
            )
            return view_func

        return decorator

    def get(self, path: str, **kwargs: Any) -> Callable[[T], T]:  # type: ignore[override]
        """Register a GET operation."""
        return self.api_operation(["GET"], path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[T], T]:  # type: ignore[override]
        """Register a POST operation."""
        return self.api_operation(["POST"], path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[T], T]:  # type: ignore[override]
        """Register a PUT operation."""
        return self.api_operation(["PUT"], path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[T], T]:  # type: ignore[override]
        """Register a PATCH operation."""
        return self.api_operation(["PATCH"], path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[T], T]:  # type: ignore[override]
        """Register a DELETE operation."""
        return self.api_operation(["DELETE"], path, **kwargs)

    def add_api_operation(  # type: ignore[override]
        self,
        path: str,
        methods: list[str],
        view_func: Callable[..., Any],
        *,
        status_code: int | None = None,
        response: Any = NOT_SET,
        **kwargs: Any,
    ) -> None:
        """Add an operation, inferring its response schema and fixing its status."""
        status = status_code or 200
        if status == 204:
            responses: Any = {204: None}
        else:
            schema = _return_annotation(view_func) if response is NOT_SET else response
            if schema is NOT_SET:
                # No usable annotation (or ``-> None``): send what the view returns, as JSON.
                schema = Any
            # Both codes are declared so create-or-get views can answer 200 for old rows.
            responses = {status: schema, 200: schema} if status != 200 else {200: schema}
        super().add_api_operation(
            path, methods, _with_status(view_func, status), response=responses, **kwargs
        )


def _with_status(view_func: Callable[..., Any], status: int) -> Callable[..., Any]:
    """Wrap a view so plain results carry ``status`` and 204 results carry no body."""
    signature = get_typed_signature(view_func)

    if status == 204:

        @functools.wraps(view_func)
        def empty(*args: Any, **kwargs: Any) -> Any:
            view_func(*args, **kwargs)
            return Status(204, None)

        wrapper = empty
    else:

        @functools.wraps(view_func)
        def with_status(*args: Any, **kwargs: Any) -> Any:
            result = view_func(*args, **kwargs)
            if isinstance(result, (Status, HttpResponseBase)):
                return result
            return Status(status, result)

        wrapper = with_status
    # Ninja reads parameters from the signature; give it the view's, already resolved.
    wrapper.__signature__ = _with_default_bodies(signature)  # type: ignore[attr-defined]
    del wrapper.__wrapped__  # type: ignore[attr-defined]
    return wrapper


def _with_default_bodies(signature: inspect.Signature) -> inspect.Signature:
    """Let a missing body mean "all defaults" for multi-parameter bodies that have them.

    The original treats an absent body like ``{}`` when every body parameter has a
    default (the 2.8.7 UI posts ``get_runs`` without one); a single-model body stays
    required, as there.
    """
    parameters = []
    for parameter in signature.parameters.values():
        annotation = parameter.annotation
        if (
            parameter.default is inspect.Parameter.empty
            and isinstance(annotation, type)
            and issubclass(annotation, RequestBody)
            and not any(field.is_required() for field in annotation.model_fields.values())
        ):
            parameter = parameter.replace(default=annotation())
        parameters.append(parameter)
    return signature.replace(parameters=parameters)

