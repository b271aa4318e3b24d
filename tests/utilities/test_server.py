"""Server utilities: ``OrionRouter``, the response-scoped exit stack middleware,
``response_scoped_dependency`` and ``method_paths_from_routes``.

Each test router is mounted in place of the root router (``router_overrides``) and served
through the whole middleware stack: by the Django test client, or by calling the ASGI
application directly when the test must look at the moment the response starts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import IntegrityError, connections
from django.http import HttpRequest
from django.test import Client
from ninja.responses import Status
from pytest_django.fixtures import Settings

from api.asgi import OrionASGIHandler, _URLConf
from api.dependencies import write_transaction
from api.errors import OrionHTTPError
from api.models import Flow
from api.schemas.base import DateTime, PrefectBaseModel
from api.server import api_urlpatterns, create_orion_api
from api.utilities.server import OrionRouter, method_paths_from_routes, response_scoped_dependency
from tests.fixtures.rows import new_flow


class Item(PrefectBaseModel):
    """What the test views declare they return."""

    name: str
    when: DateTime


class Row:
    """An ORM-like object with more attributes than the schema exposes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.when = dt.datetime(2024, 1, 2, 3, 4, 5)
        self.password = "leaked-if-you-see-this"


def new_router() -> OrionRouter:
    """A root-prefix router (with the /hello the root router must keep)."""
    router = OrionRouter(prefix="")

    @router.get("/hello")
    def hello(request: HttpRequest) -> str:
        return "hi"

    return router


def urlconf_for(router: OrionRouter) -> _URLConf:
    """A URLconf serving ``router`` under /api."""
    return _URLConf(api_urlpatterns(create_orion_api(router_overrides={"": router})))


@pytest.fixture
def serve(settings: Settings) -> Callable[[OrionRouter], None]:
    """Make ``router`` the project's API for the test client."""

    def use(router: OrionRouter) -> None:
        settings.ROOT_URLCONF = urlconf_for(router)

    return use


def call_asgi(
    router: OrionRouter, method: str, path: str, on_start: Callable[[int], None] | None = None
) -> tuple[int, bytes]:
    """Send one request to an ASGI app serving ``router``; ``on_start(status)`` runs when
    the response starts, i.e. when a client would first see it."""
    app = OrionASGIHandler(urlconf=urlconf_for(router), serve_ui=False)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    status: list[int] = []
    body: list[bytes] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
            if on_start is not None:
                on_start(message["status"])
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    async_to_sync(app)(scope, receive, send)
    return status[0], b"".join(body)


def flow_visible_elsewhere(name: str) -> Any:
    """Whether another connection (another thread) sees the flow ``name`` committed."""
    result: dict[str, Any] = {}

    def check() -> None:
        try:
            result["seen"] = Flow.objects.filter(name=name).exists()
        except Exception as exc:  # noqa: BLE001 - a lock error is an answer here too
            result["seen"] = repr(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=check)
    thread.start()
    thread.join(30)
    return result.get("seen", "no answer within 30 s")


# --- OrionRouter ---------------------------------------------------------------------------


def test_response_schema_from_return_annotation(client: Client, serve: Callable[[OrionRouter], None]) -> None:
    router = new_router()

    @router.get("/item")
    def read_item(request: HttpRequest) -> Item:
        return Row("x")  # type: ignore[return-value]

    serve(router)
    response = client.get("/api/item")
    assert response.status_code == 200
    assert response.json() == {"name": "x", "when": "2024-01-02T03:04:05.000000+00:00"}
    assert b"leaked" not in response.content


def test_list_annotation_shapes_each_item(client: Client, serve: Callable[[OrionRouter], None]) -> None:
    router = new_router()

    @router.get("/items")
    def read_items(request: HttpRequest) -> list[Item]:
        return [Row("a"), Row("b")]  # type: ignore[list-item]

    serve(router)
    assert [item["name"] for item in client.get("/api/items").json()] == ["a", "b"]
    assert b"leaked" not in client.get("/api/items").content


def test_explicit_response_wins_over_annotation(client: Client, serve: Callable[[OrionRouter], None]) -> None:
    router = new_router()

    @router.get("/count", response=int)
    def count(request: HttpRequest) -> Any:
        return "41"

    serve(router)
    assert client.get("/api/count").content == b"41"


def test_status_code_and_create_or_get(client: Client, serve: Callable[[OrionRouter], None]) -> None:
    router = new_router()

    @router.post("/items/", status_code=201)
    def create_item(request: HttpRequest, existing: bool = False) -> Item:
        if existing:
            return Status(200, Row("old"))  # type: ignore[return-value]
        return Row("new")  # type: ignore[return-value]

    serve(router)
    created = client.post("/api/items/", content_type="application/json")
    assert created.status_code == 201
    assert created.json()["name"] == "new"
    existing = client.post("/api/items/?existing=true", content_type="application/json")
    assert existing.status_code == 200
    assert existing.json() == {"name": "old", "when": "2024-01-02T03:04:05.000000+00:00"}


def test_204_has_an_empty_body_whatever_the_view_returns(
    client: Client, serve: Callable[[OrionRouter], None]
) -> None:
    router = new_router()

    @router.delete("/items/{name}", status_code=204)
    def delete_item(request: HttpRequest, name: str) -> Item:
        return Row(name)  # type: ignore[return-value]

    serve(router)
    response = client.delete("/api/items/x")
    assert response.status_code == 204
    assert response.content == b""


def test_none_result_without_status_is_null(client: Client, serve: Callable[[OrionRouter], None]) -> None:
    router = new_router()

    @router.post("/logs/", status_code=201)
    def create_logs(request: HttpRequest) -> None:
        return None

    serve(router)
    response = client.post("/api/logs/", content_type="application/json")
    assert response.status_code == 201
    assert response.content == b"null"


# --- the response-scoped exit stack --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_write_is_committed_before_the_response_starts() -> None:
    router = new_router()
    name = f"committed-{uuid.uuid4().hex[:8]}"

    @router.post("/write", status_code=201)
    def write(request: HttpRequest) -> str:
        write_transaction(request)
        new_flow(name)
        return "ok"

    seen: list[Any] = []
    status, body = call_asgi(router, "POST", "/api/write", on_start=lambda _: seen.append(flow_visible_elsewhere(name)))
    assert (status, body) == (201, b'"ok"')
    assert seen == [True]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "error,status",
    [(OrionHTTPError(400, "nope"), 400), (RuntimeError("view broke"), 500)],
)
def test_view_failure_rolls_back_its_writes(
    client: Client, serve: Callable[[OrionRouter], None], error: Exception, status: int
) -> None:
    router = new_router()

    @router.post("/write-then-fail")
    def write_then_fail(request: HttpRequest) -> str:
        write_transaction(request)
        new_flow("rolled-back")
        raise error

    serve(router)
    response = client.post("/api/write-then-fail", content_type="application/json")
    assert response.status_code == status
    assert not Flow.objects.filter(name="rolled-back").exists()


@pytest.mark.django_db(transaction=True)
def test_validation_failure_after_a_write_rolls_back(client: Client, serve: Callable[[OrionRouter], None]) -> None:
    router = new_router()

    @router.post("/write-bad-result")
    def write_bad_result(request: HttpRequest) -> int:
        write_transaction(request)
        new_flow("bad-result")
        return "not an int"  # type: ignore[return-value]

    serve(router)
    response = client.post("/api/write-bad-result", content_type="application/json")
    assert response.status_code == 500
    assert not Flow.objects.filter(name="bad-result").exists()


@contextlib.contextmanager
def failing_on_exit(error: Exception) -> Iterator[None]:
    """Enters fine; fails while the stack closes (like a commit that fails)."""
    yield
    raise error


@pytest.mark.parametrize(
    "error,status,body",
    [
        (RuntimeError("commit failed"), 500, {"exception_message": "Internal Server Error"}),
        (IntegrityError("deferred constraint"), 409, None),
    ],
)
@pytest.mark.parametrize("view_status", [200, 201, 204])
def test_failure_while_closing_is_never_a_2xx(
    client: Client,
    serve: Callable[[OrionRouter], None],
    error: Exception,
    status: int,
    body: Any,
    view_status: int,
) -> None:
    router = new_router()
    enter = response_scoped_dependency(failing_on_exit)

    @router.post("/close-fails", status_code=view_status)
    def close_fails(request: HttpRequest) -> str:
        enter(request, error)
        return "looks fine"

    serve(router)
    response = client.post("/api/close-fails", content_type="application/json")
    assert response.status_code == status
    if body is not None:
        assert response.json() == body
    assert b"looks fine" not in response.content


# --- response_scoped_dependency -------------------------------------------------------------


def test_response_scoped_dependency_closes_before_the_response() -> None:
    events: list[str] = []

    def resource(label: str) -> Iterator[str]:
        events.append(f"open {label}")
        try:
            yield label.upper()
        except Exception as exc:
            events.append(f"failed {type(exc).__name__}")
            raise
        else:
            events.append(f"closed {label}")

    use_resource = response_scoped_dependency(resource)
    router = new_router()

    @router.get("/ok")
    def ok(request: HttpRequest) -> str:
        value = use_resource(request, "a")
        events.append(f"view got {value}")
        return value

    @router.get("/fails")
    def fails(request: HttpRequest) -> str:
        use_resource(request, "b")
        raise OrionHTTPError(409, "conflict")

    at_start: list[list[str]] = []
    status, body = call_asgi(router, "GET", "/api/ok", on_start=lambda _: at_start.append(list(events)))
    assert (status, body) == (200, b'"A"')
    assert at_start == [["open a", "view got A", "closed a"]]

    events.clear()
    status, body = call_asgi(router, "GET", "/api/fails")
    assert status == 409
    # The context saw the view's failure, so a transaction there would roll back.
    assert events == ["open b", "failed OrionHTTPError"]


def test_response_scoped_dependency_accepts_context_manager_factories(
    client: Client, serve: Callable[[OrionRouter], None]
) -> None:
    events: list[str] = []

    @contextlib.contextmanager
    def managed() -> Iterator[int]:
        events.append("enter")
        yield 7
        events.append("exit")

    use = response_scoped_dependency(managed)
    router = new_router()

    @router.get("/managed")
    def view(request: HttpRequest) -> int:
        return use(request)

    serve(router)
    assert client.get("/api/managed").json() == 7
    assert events == ["enter", "exit"]


def test_response_scoped_dependency_needs_the_middleware() -> None:
    use = response_scoped_dependency(contextlib.nullcontext)
    with pytest.raises(RuntimeError, match="ResponseScopedExitStackMiddleware"):
        use(HttpRequest())


# --- method_paths_from_routes ---------------------------------------------------------------


def test_method_paths_from_routes() -> None:
    router = OrionRouter(prefix="/things")

    @router.get("/")
    def list_things(request: HttpRequest) -> list[str]:
        return []

    @router.post("/")
    def create_thing(request: HttpRequest) -> str:
        return ""

    @router.api_operation(["PATCH", "DELETE"], "/{id}")
    def change_thing(request: HttpRequest, id: int) -> None:
        return None

    child = OrionRouter()

    @child.get("/{id}/parts")
    def parts(request: HttpRequest, id: int) -> list[str]:
        return []

    router.add_router("/nested", child)
    assert method_paths_from_routes(router) == {
        "GET /",
        "POST /",
        "PATCH /{id}",
        "DELETE /{id}",
        "GET /nested/{id}/parts",
    }
    assert method_paths_from_routes(OrionRouter()) == set()
