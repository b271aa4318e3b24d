"""The app under a URL path prefix, through a real nginx on loopback.

Three ways a deployment tells the app its prefix, each behind its own nginx:

* ``env``: ``ORION_URL_PREFIX=/prefect``; nginx forwards ``/prefect/...`` as it is.
* ``root_path``: ``daphne --root-path /prefect``; nginx forwards as it is.
* ``header``: nothing on the server; nginx strips the prefix and sends ``Daphne-Root-Path``.

In each, the API, the UI (index, deep links, assets, ``/ui-settings``), the live-update
websocket, the Django admin and its static files answer under ``/prefect``, and every URL
the app hands out carries the prefix.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
import websocket

from tests.compat import harness
from tests.proxy.nginx import PREFIX, Proxy, missing_nginx, reverse_proxy

pytestmark = pytest.mark.skipif(missing_nginx() is not None, reason=missing_nginx() or "")

MODES = {
    "env": ({"ORION_URL_PREFIX": PREFIX}, [], "forward"),
    "root_path": ({}, ["--root-path", PREFIX], "forward"),
    "header": ({}, [], "strip"),
}


@pytest.fixture(scope="module", params=sorted(MODES))
def proxy(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """A live server (no services) behind nginx at ``/prefect``, told its prefix one way."""
    env, daphne_args, proxy_mode = MODES[request.param]
    server = harness.start_server(
        tmp_path_factory.mktemp(f"prefix-{request.param}"), services=False, env_extra=env, daphne_args=daphne_args
    )
    try:
        with reverse_proxy(urlsplit(server.url).port, proxy_mode) as running:
            yield running
    finally:
        server.stop()


@pytest.fixture
def http(proxy: Proxy) -> Iterator[httpx.Client]:
    """An HTTP client for the proxy's origin (paths below include the prefix)."""
    with httpx.Client(base_url=proxy.origin, timeout=30, follow_redirects=False) as client:
        yield client


def test_the_api_answers_under_the_prefix(http: httpx.Client) -> None:
    assert http.get(f"{PREFIX}/api/health").json() is True
    name = f"prefixed-{uuid.uuid4().hex[:8]}"
    created = http.post(f"{PREFIX}/api/flows/", json={"name": name})
    assert created.status_code == 201, created.text
    flow_id = created.json()["id"]
    found = http.post(f"{PREFIX}/api/flows/filter", json={"flows": {"name": {"any_": [name]}}})
    assert [flow["id"] for flow in found.json()] == [flow_id]
    # A path with the other trailing slash is redirected within the prefix.
    redirect = http.get(f"{PREFIX}/api/flows/{flow_id}/")
    assert redirect.status_code == 307
    assert redirect.headers["location"] == f"{PREFIX}/api/flows/{flow_id}"
    assert http.get(f"{PREFIX}/api/nothing/here").json() == {"detail": "Not Found"}
    docs = http.get(f"{PREFIX}/api/docs")
    assert docs.status_code == 200 and f'"{PREFIX}/api/openapi.json"' in docs.text
    logo = http.get(f"{PREFIX}/api/openapi.json").json()["info"]["x-logo"]["url"]
    assert logo.startswith(f"{PREFIX}/api/static/") and http.get(logo).status_code == 200


def test_the_ui_finds_its_api_under_the_prefix(http: httpx.Client) -> None:
    for path in ("/", "/flow-runs", "/flow-runs/flow-run/0c8b3e56-7b8f-4a39-9d43-111111111111"):
        page = http.get(PREFIX + path)
        assert page.status_code == 200, path
        assert f'<base href="{PREFIX}/">' in page.text, path
    # Without PREFECT_UI_API_URL the page calls the API next to it.
    assert http.get(f"{PREFIX}/ui-settings").json()["api_url"] == f"{PREFIX}/api"
    script = http.get(f"{PREFIX}/js/main.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert http.get(f"{PREFIX}/app.css").status_code == 200


def test_the_admin_and_its_static_files_are_under_the_prefix(http: httpx.Client) -> None:
    admin = http.get(f"{PREFIX}/admin/")
    assert admin.status_code == 302
    assert admin.headers["location"] == f"{PREFIX}/admin/login/?next={PREFIX}/admin/"
    login = http.get(admin.headers["location"])
    assert login.status_code == 200
    stylesheet = f"{PREFIX}/static/admin/css/base.css"
    assert f'href="{stylesheet}"' in login.text
    assert f'action="{PREFIX}/admin/login/' in login.text
    css = http.get(stylesheet)
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_live_updates_reach_a_websocket_under_the_prefix(proxy: Proxy, http: httpx.Client) -> None:
    socket = websocket.create_connection(proxy.url.replace("http://", "ws://") + "/api/live", timeout=15)
    try:
        socket.send(json.dumps({"subscribe": "flow_runs"}))
        assert json.loads(socket.recv()) == {"subscribed": "flow_runs"}
        flow = http.post(f"{PREFIX}/api/flows/", json={"name": "live-prefixed"}).json()
        run = http.post(
            f"{PREFIX}/api/flow_runs/", json={"flow_id": flow["id"], "state": {"type": "SCHEDULED"}}
        ).json()
        event = json.loads(socket.recv())
        assert event["flow_run_id"] == run["id"]
    finally:
        socket.close()
