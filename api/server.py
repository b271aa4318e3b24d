"""The Orion API factory: ``create_orion_api()``, ``API_ROUTERS`` and ``api_urlpatterns()``.

Only this module knows the full list of routers. It also owns the API-wide behaviour:
the ``X-PREFECT-API-VERSION`` check, the error shapes, the OpenAPI customisation and the
answer to paths no route matches (404, or 307 to the other trailing slash). The ASGI
application that serves it (``create_app()``) is assembled in ``api.asgi``, above the
project's URLconf, which mounts ``api_urlpatterns()``.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, get_script_prefix, path, re_path, resolve, Resolver404
from django.urls.resolvers import RoutePattern
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema

from api.errors import OrionHTTPError
from api.metrics import unmatched_route
from api.routers import accounts, admin, root
from api.routers import block_capabilities, block_documents, block_schemas, block_types
from api.routers import flow_run_states, task_run_states
from api.routers import concurrency_limits, flow_runs, flows, logs, saved_searches, task_runs, ui
from api.routers import artifacts, collections, deployments, flow_run_notification_policies, work_pools, work_queues
from api.routers import monitoring
from api.utilities.renderers import ORJSONRenderer
from api.utilities.urls import SegmentDispatchResolver, group_by_first_segment
from api.utilities.server import (
    OrionRouter,
    exception_response,
    json_response,
    mark_request_failed,
    method_paths_from_routes,
)

# The routers of the API, in mounting order; later issues append theirs.
API_ROUTERS: tuple[OrionRouter, ...] = (
    root.router,
    admin.router,
    flows.router,
    flow_runs.router,
    task_runs.router,
    block_types.router,
    block_schemas.router,
    block_documents.router,
    block_capabilities.router,
    flow_run_states.router,
    task_run_states.router,
    logs.router,
    concurrency_limits.router,
    saved_searches.router,
    ui.router,
    deployments.router,
    work_queues.router,
    work_pools.router,
    artifacts.router,
    flow_run_notification_policies.router,
    collections.router,
    monitoring.router,
    accounts.router,
)

MIN_API_VERSION = (0, 8, 0)
STATIC_DIR = Path(__file__).resolve().parent / "static"
LOGO_FILE = "prefect-logo-mark-gradient.png"

_PYDANTIC_V1_ERRORS = {
    "extra_forbidden": ("value_error.extra", "extra fields not permitted"),
    "missing": ("value_error.missing", "field required"),
}


def check_api_version(request: HttpRequest) -> None:
    """Refuse requests from clients older than API 0.8.0; remember the version asked for."""
    header = request.headers.get("x-prefect-api-version", "")
    request.api_version = header or django_settings.ORION_API_VERSION  # type: ignore[attr-defined]
    if not header:
        return
    parts = header.split(".")
    try:
        if len(parts) != 3:
            raise ValueError(header)
        version = tuple(int(part) for part in parts)
    except ValueError:
        raise OrionHTTPError(
            400,
            "Invalid X-PREFECT-API-VERSION header format."
            f"Expected header in format 'x.y.z' but received {header}",
        ) from None
    if version < MIN_API_VERSION:
        raise OrionHTTPError(
            400,
            f"The request specified API version {header} but this server requires version "
            f"{'.'.join(map(str, MIN_API_VERSION))} or higher.",
        )


def _v1_error(error: Mapping[str, Any]) -> dict[str, Any]:
    """Present a pydantic error the way the original (pydantic v1) server did."""
    out = {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type", "")}
    if out["type"] in _PYDANTIC_V1_ERRORS:
        out["type"], out["msg"] = _PYDANTIC_V1_ERRORS[out["type"]]
    elif error.get("ctx"):
        out["ctx"] = {key: str(value) if isinstance(value, Exception) else value for key, value in error["ctx"].items()}
    return out


def _request_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body) if request.body else None
    except ValueError:
        return None


class OrionAPI(NinjaAPI):
    """NinjaAPI with the Orion error shapes and OpenAPI document."""

    def on_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        """Answer ``exc`` in the Orion error shape and unwind the request's stack as failed."""
        mark_request_failed(request, exc)
        if isinstance(exc, ValidationError):
            body = {
                "exception_message": "Invalid request received.",
                "exception_detail": [_v1_error(error) for error in exc.errors],
                "request_body": _request_body(request),
            }
            return json_response(body, 422)
        if isinstance(exc, HttpError) and isinstance(exc.__cause__, json.JSONDecodeError):
            # Unparseable JSON is a validation error located at the offending character.
            error = exc.__cause__
            body = {
                "exception_message": "Invalid request received.",
                "exception_detail": [
                    {"loc": ["body", error.pos], "msg": error.msg, "type": "value_error.jsondecode"}
                ],
                "request_body": request.body.decode(errors="replace"),
            }
            return json_response(body, 422)
        return exception_response(request, exc)

    def validation_error_from_error_contexts(self, error_contexts: list[Any]) -> ValidationError:
        """Validation errors located as the original reports them.

        A view's single model body is the whole request body, so its parameter name is
        not part of the location (``["body", "name"]``, not ``["body", "flow", "name"]``).
        """
        error = super().validation_error_from_error_contexts(error_contexts)
        single_attrs = {
            getattr(context.model, "__read_from_single_attr__", None) for context in error_contexts
        } - {None}
        for item in error.errors:
            loc = tuple(item["loc"])
            if len(loc) >= 2 and loc[0] == "body" and loc[1] in single_attrs:
                item["loc"] = (loc[0], *loc[2:])
        return error

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> OpenAPISchema:
        """The OpenAPI document, with the logo the docs page shows."""
        schema = super().get_openapi_schema(*args, **kwargs)
        schema["info"]["x-logo"] = {"url": f"{get_script_prefix()}api/static/{LOGO_FILE}"}
        return schema


_api_ids = itertools.count()


def _with_dependencies(
    api: OrionAPI, dependencies: Iterable[Callable[[HttpRequest], None]]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A Ninja "view" decorator running ``dependencies`` before validation and the view."""
    deps = tuple(dependencies)

    def decorator(run: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(run)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            try:
                for dependency in deps:
                    dependency(request)
            except Exception as exc:  # noqa: BLE001 - answered in the API's error shape
                return api.on_exception(request, exc)
            return run(request, *args, **kwargs)

        return checked

    return decorator


def create_orion_api(
    router_prefix: str = "",
    dependencies: Iterable[Callable[[HttpRequest], None]] | None = None,
    health_check_path: str = "/health",
    api_kwargs: Mapping[str, Any] | None = None,
    router_overrides: Mapping[str, OrionRouter | None] | None = None,
) -> OrionAPI:
    """Build the Ninja API from ``API_ROUTERS``.

    ``dependencies`` run before every router operation, after the API-version check that is
    always added. ``router_overrides`` maps a router prefix to a replacement router, or to
    ``None`` to drop it; an unknown prefix raises ``KeyError``, and a replacement whose
    prefix differs or that lacks any ``METHOD path`` of the original raises ``ValueError``.
    """
    routers = {router.prefix: router for router in API_ROUTERS}
    for prefix, override in (router_overrides or {}).items():
        if prefix not in routers:
            raise KeyError(f"Router override provided for prefix that does not exist: {prefix!r}")
        if override is not None:
            if override.prefix != prefix:
                raise ValueError(
                    f"Router override for {prefix!r} defines a different prefix {override.prefix!r}."
                )
            missing = method_paths_from_routes(routers[prefix]) - method_paths_from_routes(override)
            if missing:
                raise ValueError(
                    f"Router override for {prefix!r} is missing paths defined by the original "
                    f"router: {sorted(missing)}"
                )
        routers[prefix] = override

    kwargs: dict[str, Any] = {
        "title": "Prefect Orion",
        "version": django_settings.ORION_API_VERSION,
        "renderer": ORJSONRenderer(),
        "urls_namespace": f"orion-api-{next(_api_ids)}",
        "docs_url": "/docs",
        "openapi_url": "/openapi.json",
    }
    kwargs.update(api_kwargs or {})
    api = OrionAPI(**kwargs)

    @api.get(health_check_path, response=bool, tags=["Root"], operation_id="health_check")
    def health_check(request: HttpRequest) -> bool:
        return True

    @api.get("/version", response=str, tags=["Root"], operation_id="orion_info")
    def orion_info(request: HttpRequest) -> str:
        return django_settings.ORION_API_VERSION

    checks = [check_api_version, *(dependencies or ())]
    for prefix, router in routers.items():
        if router is None:
            continue
        # A fresh mount router carries the checks, so shared router templates stay untouched.
        mount = OrionRouter(prefix=prefix)
        mount.add_decorator(_with_dependencies(api, checks), mode="view")
        mount.add_router("", router)
        api.add_router(router_prefix + prefix, mount)
    return api


def _logo(request: HttpRequest) -> FileResponse:
    return FileResponse(open(STATIC_DIR / LOGO_FILE, "rb"), content_type="image/png")


@csrf_exempt
@unmatched_route
def _api_not_found(request: HttpRequest) -> HttpResponse:
    # The original redirects (307) a path that exists with the other trailing slash.
    # Resolve without the URL prefix; redirect with it.
    path_info = request.path_info
    other = path_info[:-1] if path_info.endswith("/") else path_info + "/"
    try:
        match = resolve(other, getattr(request, "urlconf", None))
    except Resolver404:
        match = None
    if match is not None and match.func is not _api_not_found:
        query = request.META.get("QUERY_STRING", "")
        location = request.META.get("SCRIPT_NAME", "") + other
        response = HttpResponse(status=307)
        response["location"] = f"{location}?{query}" if query else location
        return response
    return json_response({"detail": "Not Found"}, 404)


def api_urlpatterns(api: OrionAPI | None = None) -> list[URLPattern | URLResolver]:
    """URL patterns mounting ``api`` (by default the cached default API) under ``/api/``."""
    api = api or default_api()
    return [
        path(f"api/static/{LOGO_FILE}", _logo),
        # Ninja's own root view answers an HTML 404; the API has no root route either way.
        path("api/", _api_not_found),
        _api_resolver(api.urls),
        re_path(r"^api(?:/.*)?$", _api_not_found),
    ]


def _api_resolver(urls: tuple[list[URLPattern], str, str]) -> URLResolver:
    """``path("api/", urls)`` for Ninja's ``(patterns, app_name, namespace)``, its patterns
    grouped by their first segment and resolved through the path's group (``api.utilities.urls``)."""
    patterns, app_name, namespace = urls
    return SegmentDispatchResolver(
        RoutePattern("api/", is_endpoint=False), group_by_first_segment(patterns), app_name=app_name, namespace=namespace
    )


@functools.cache
def default_api() -> OrionAPI:
    """The API served by the project's URLconf."""
    return create_orion_api()
