"""The API factory (``create_orion_api``) and the API-wide behaviour it installs: the
``X-PREFECT-API-VERSION`` check, the error shapes, the OpenAPI document and CORS.

Error cases are raised by a test-only router mounted in place of the root router through
``create_orion_api(router_overrides=...)``, served by a test URLconf through the full
Django middleware stack.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpRequest
from django.test import Client
from pytest_django.fixtures import Settings

from api.asgi import _URLConf
from api.dependencies import write_transaction
from api.errors import ObjectNotFoundError, OrionHTTPError
from api.models import Flow
from api.schemas.base import ActionBaseModel, Limit, RequestBody
from api.server import API_ROUTERS, api_urlpatterns, create_orion_api
from api.utilities.server import INTEGRITY_DETAIL, OrionRouter, method_paths_from_routes

INTERNAL_ERROR = {"exception_message": "Internal Server Error"}


class ThingCreate(ActionBaseModel):
    """A body with one required field; extra keys are refused."""

    name: str
    size: int = 1


class PageBody(RequestBody):
    """A multi-key body with a paging limit."""

    limit: Limit = None


def _test_root_router() -> OrionRouter:
    """A router for prefix "" serving everything the real root router does, plus probes."""
    router = OrionRouter(prefix="", tags=["Test"])

    @router.get("/hello")
    def hello(request: HttpRequest) -> str:
        return "test hello"

    @router.post("/things/", status_code=201)
    def create_thing(request: HttpRequest, thing: ThingCreate) -> dict[str, Any]:
        return thing.model_dump()

    @router.post("/things/page")
    def page(request: HttpRequest, body: PageBody) -> int:
        return body.limit

    @router.get("/things/{thing_id}")
    def read_thing(request: HttpRequest, thing_id: int) -> int:
        return thing_id

    @router.get("/missing")
    def missing(request: HttpRequest) -> str:
        raise ObjectNotFoundError("Thing 7 not found")

    @router.get("/crash")
    def crash(request: HttpRequest) -> str:
        raise RuntimeError("boom from the test view")

    @router.post("/conflict")
    def conflict(request: HttpRequest) -> str:
        write_transaction(request)
        # A raw duplicate insert (crud would return the existing flow): the IntegrityError under test.
        Flow.objects.create(name="twin")
        Flow.objects.create(name="twin")
        return "unreachable"

    @router.get("/detail")
    def detail(request: HttpRequest) -> str:
        raise OrionHTTPError(418, "I'm a teapot")

    return router


TEST_ROUTER = _test_root_router()


@pytest.fixture
def mount(settings: Settings) -> Callable[..., None]:
    """Serve ``create_orion_api(**kwargs)`` under /api as the project's URLconf."""

    def serve(**kwargs: Any) -> None:
        settings.ROOT_URLCONF = _URLConf(api_urlpatterns(create_orion_api(**kwargs)))

    return serve


@pytest.fixture
def test_api(mount: Callable[..., None]) -> None:
    """The API with the test router in place of the root router."""
    mount(router_overrides={"": TEST_ROUTER})


# --- router overrides ----------------------------------------------------------------------


def test_override_replaces_a_router(client: Client, test_api: None) -> None:
    assert client.get("/api/hello").json() == "test hello"
    # The other routers are still there.
    assert client.get("/api/admin/version").json() == "2.8.7"


def test_override_with_unknown_prefix_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="/not-a-router"):
        create_orion_api(router_overrides={"/not-a-router": None})


def test_override_none_drops_the_router(client: Client, mount: Callable[..., None]) -> None:
    mount(router_overrides={"/admin": None})
    assert client.get("/api/admin/version").status_code == 404
    assert client.get("/api/hello").json() == "👋"


def test_override_with_another_prefix_is_a_value_error() -> None:
    other = OrionRouter(prefix="/elsewhere")
    with pytest.raises(ValueError, match="/elsewhere"):
        create_orion_api(router_overrides={"/admin": other})


def test_override_missing_a_route_is_a_value_error_naming_it() -> None:
    partial = OrionRouter(prefix="/admin")

    @partial.get("/settings")
    def read_settings(request: HttpRequest) -> dict[str, Any]:
        return {}

    @partial.get("/version")
    def read_version(request: HttpRequest) -> str:
        return "x"

    with pytest.raises(ValueError) as excinfo:
        create_orion_api(router_overrides={"/admin": partial})
    message = str(excinfo.value)
    for missing in ("POST /database/clear", "POST /database/drop", "POST /database/create"):
        assert missing in message
    assert "GET /settings" not in message


def test_override_with_same_path_but_other_method_is_refused() -> None:
    wrong_method = OrionRouter(prefix="")

    @wrong_method.post("/hello")
    def hello(request: HttpRequest) -> str:
        return "hi"

    with pytest.raises(ValueError, match="GET /hello"):
        create_orion_api(router_overrides={"": wrong_method})


def test_every_api_router_has_a_distinct_prefix() -> None:
    prefixes = [router.prefix for router in API_ROUTERS]
    assert len(prefixes) == len(set(prefixes))
    # Each router can be overridden by itself.
    for router in API_ROUTERS:
        assert method_paths_from_routes(router)
        create_orion_api(router_overrides={router.prefix: router})


# --- other factory arguments ---------------------------------------------------------------


def test_router_prefix_and_health_path(client: Client, mount: Callable[..., None]) -> None:
    mount(router_prefix="/v1", health_check_path="/healthz")
    assert client.get("/api/v1/hello").json() == "👋"
    assert client.get("/api/hello").status_code == 404
    assert client.get("/api/healthz").json() is True
    assert client.get("/api/health").status_code == 404


def test_extra_dependencies_run_after_the_version_check(client: Client, mount: Callable[..., None]) -> None:
    seen: list[str] = []

    def require_token(request: HttpRequest) -> None:
        seen.append(request.path)
        if request.headers.get("x-token") != "secret":
            raise OrionHTTPError(403, "Forbidden")

    mount(dependencies=[require_token])
    denied = client.get("/api/hello")
    assert denied.status_code == 403
    assert denied.json() == {"detail": "Forbidden"}
    assert client.get("/api/hello", headers={"x-token": "secret"}).json() == "👋"
    # The version check is always there, and runs first.
    old = client.get("/api/hello", headers={"x-token": "secret", "x-prefect-api-version": "0.7.0"})
    assert old.status_code == 400
    assert seen == ["/api/hello", "/api/hello"]
    # App-level routes are not router routes: no dependencies.
    assert client.get("/api/health").json() is True


def test_api_kwargs_reach_the_api(client: Client, mount: Callable[..., None]) -> None:
    mount(api_kwargs={"title": "My Orion"})
    assert client.get("/api/openapi.json").json()["info"]["title"] == "My Orion"


# --- X-PREFECT-API-VERSION -----------------------------------------------------------------


@pytest.mark.parametrize("version", [None, "", "0.8.0", "0.8.4", "0.9.0", "1.0.0"])
def test_version_header_accepted(client: Client, version: str | None) -> None:
    headers = {} if version is None else {"x-prefect-api-version": version}
    response = client.get("/api/hello", headers=headers)
    assert response.status_code == 200
    assert response.json() == "👋"


@pytest.mark.parametrize("version", ["0.7.9", "0.0.1"])
def test_version_header_too_old(client: Client, version: str) -> None:
    response = client.get("/api/hello", headers={"x-prefect-api-version": version})
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"The request specified API version {version} but this server requires "
        "version 0.8.0 or higher."
    }


@pytest.mark.parametrize("version", ["abc", "1.0", "0.8.4.1", "0.8.x"])
def test_version_header_malformed(client: Client, version: str) -> None:
    response = client.get("/api/hello", headers={"x-prefect-api-version": version})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid X-PREFECT-API-VERSION header format."
        f"Expected header in format 'x.y.z' but received {version}"
    }


@pytest.mark.parametrize("path,body", [("/api/health", True), ("/api/version", "0.8.4")])
def test_health_and_version_skip_the_version_check(client: Client, path: str, body: Any) -> None:
    for version in ("0.1.0", "abc"):
        response = client.get(path, headers={"x-prefect-api-version": version})
        assert response.status_code == 200
        assert response.json() == body


def test_version_check_runs_before_body_validation(client: Client, test_api: None) -> None:
    response = client.post(
        "/api/things/", {"nope": 1}, content_type="application/json", headers={"x-prefect-api-version": "0.1.0"}
    )
    assert response.status_code == 400


# --- error shapes -------------------------------------------------------------------------


def test_validation_error_shape(client: Client, test_api: None) -> None:
    response = client.post("/api/things/", {"size": "big", "extra": 1}, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"exception_message", "exception_detail", "request_body"}
    assert body["exception_message"] == "Invalid request received."
    assert body["request_body"] == {"size": "big", "extra": 1}
    by_loc = {tuple(error["loc"]): error for error in body["exception_detail"]}
    assert by_loc[("body", "name")]["type"] == "value_error.missing"
    assert by_loc[("body", "name")]["msg"] == "field required"
    assert by_loc[("body", "extra")]["type"] == "value_error.extra"
    assert by_loc[("body", "extra")]["msg"] == "extra fields not permitted"
    assert ("body", "size") in by_loc


def test_validation_error_in_path_has_null_request_body(client: Client, test_api: None) -> None:
    response = client.get("/api/things/not-a-number")
    assert response.status_code == 422
    body = response.json()
    assert body["request_body"] is None
    assert [error["loc"] for error in body["exception_detail"]] == [["path", "thing_id"]]


def test_malformed_json_is_a_validation_error(client: Client, test_api: None) -> None:
    response = client.post("/api/things/", "{not json", content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["exception_message"] == "Invalid request received."
    assert body["request_body"] == "{not json"
    [error] = body["exception_detail"]
    assert error["loc"] == ["body", 1]
    assert error["type"] == "value_error.jsondecode"


def test_oversized_body_is_413_not_a_crash(client: Client, test_api: None, settings: Settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/api/things/", {"name": "x" * 2000}, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large."}


def test_valid_request_through_test_router(client: Client, test_api: None) -> None:
    response = client.post("/api/things/", {"name": "a"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json() == {"name": "a", "size": 1}


@pytest.mark.django_db(transaction=True)
def test_integrity_error_is_409(client: Client, test_api: None) -> None:
    response = client.post("/api/conflict")
    assert response.status_code == 409
    assert response.json() == {"detail": INTEGRITY_DETAIL}
    # The request's transaction rolled back: not even the first row stays.
    assert not Flow.objects.filter(name="twin").exists()


def test_object_not_found_is_404_exception_message(client: Client, test_api: None) -> None:
    response = client.get("/api/missing")
    assert response.status_code == 404
    assert response.json() == {"exception_message": "Thing 7 not found"}


def test_explicit_http_error_is_detail(client: Client, test_api: None) -> None:
    response = client.get("/api/detail")
    assert response.status_code == 418
    assert response.json() == {"detail": "I'm a teapot"}


def test_unhandled_error_is_500_and_logged(
    client: Client, test_api: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="orion"):
        response = client.get("/api/crash")
    assert response.status_code == 500
    assert response.json() == INTERNAL_ERROR
    assert "boom from the test view" not in response.content.decode()
    logged = [record for record in caplog.records if record.exc_info]
    assert logged, "the traceback was not logged"
    assert "boom from the test view" in str(logged[0].exc_info[1])
    assert "/api/crash" in logged[0].getMessage()


def test_unknown_api_path_is_json_404(client: Client) -> None:
    for path in ("/api/no/such/route", "/api", "/api/", "/api/static/nothing.png"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not Found"}, path


def test_wrong_method_is_json_405(client: Client) -> None:
    for path in ("/api/hello", "/api/health", "/api/admin/settings"):
        response = client.delete(path)
        assert response.status_code == 405, path
        assert response["content-type"] == "application/json"
        assert response.json() == {"detail": "Method Not Allowed"}


def test_collection_path_without_slash_redirects(client: Client, test_api: None) -> None:
    response = client.post("/api/things", {"name": "a"}, content_type="application/json")
    assert response.status_code == 307
    assert response["location"] == "/api/things/"
    extra_slash = client.get("/api/things/5/?verbose=1")
    assert extra_slash.status_code == 307
    assert extra_slash["location"] == "/api/things/5?verbose=1"
    assert client.get("/api/nothing/here/").status_code == 404


@pytest.mark.parametrize(
    "limit,detail",
    [
        (201, "Invalid limit: must be less than or equal to 200."),
        (-1, "Invalid limit: must be greater than or equal to 0."),
    ],
)
def test_limit_out_of_range_is_plain_422(client: Client, test_api: None, limit: int, detail: str) -> None:
    response = client.post("/api/things/page", {"limit": limit}, content_type="application/json")
    assert response.status_code == 422
    assert response.json() == {"detail": detail}


def test_limit_defaults_and_bounds(client: Client, test_api: None) -> None:
    assert client.post("/api/things/page", {"limit": None}, content_type="application/json").json() == 200
    # The whole body may be omitted, as the client does for unfiltered reads.
    omitted = client.post("/api/things/page", content_type="application/json")
    assert omitted.status_code == 200
    assert omitted.json() == 200
    assert client.post("/api/things/page", {"limit": 200}, content_type="application/json").json() == 200
    assert client.post("/api/things/page", {"limit": 0}, content_type="application/json").json() == 0


# --- OpenAPI, docs, logo -----------------------------------------------------------------


def test_openapi_document(client: Client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["version"] == "0.8.4"
    assert schema["paths"]
    assert all(path.startswith("/api/") for path in schema["paths"]), list(schema["paths"])
    assert {"/api/health", "/api/version", "/api/hello", "/api/admin/settings"} <= set(schema["paths"])
    logo = schema["info"]["x-logo"]["url"]
    assert logo.startswith("/api/static/")
    served = client.get(logo)
    assert served.status_code == 200
    assert served["content-type"] == "image/png"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")


def test_interactive_docs(client: Client) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response["content-type"].startswith("text/html")
    html = response.content.decode()
    assert "/api/openapi.json" in html
    # The page works offline: everything it loads is served by this server.
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', html)
    assert any(asset.endswith(".js") for asset in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


# --- CORS ---------------------------------------------------------------------------------


def test_cors_preflight(client: Client, settings) -> None:
    settings.CORS_ALLOW_ALL_ORIGINS = True  # PREFECT_SERVER_CORS_ALLOWED_ORIGINS=*, the original's behaviour
    response = client.options(
        "/api/flows/filter",
        headers={
            "origin": "http://ui.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type,x-prefect-api-version",
        },
    )
    assert response.status_code == 200
    assert response["access-control-allow-origin"] == "*"
    assert response["access-control-max-age"] == "600"
    assert "POST" in response["access-control-allow-methods"]
    assert "x-prefect-api-version" in response["access-control-allow-headers"]


def test_cors_on_simple_requests(client: Client, settings) -> None:
    settings.CORS_ALLOW_ALL_ORIGINS = True
    response = client.get("/api/hello", headers={"origin": "http://ui.example"})
    assert response.status_code == 200
    assert response["access-control-allow-origin"] == "*"
    error = client.get("/api/nope", headers={"origin": "http://ui.example"})
    assert error["access-control-allow-origin"] == "*"

