"""The official Prefect 2.8.7 UI (``PREFECT_UI_FLAVOR=prefect``) against our API.

``manage.py orion_fetch_prefect_ui`` fetches the prefect==2.8.7 wheel (cached in pytest's
cache between runs) and extracts its UI into the server's PREFECT_HOME; then every page of
that UI is opened with data in place: each must load with no console error and no API
call answered with an error. Skipped (saying why) only when the wheel cannot be fetched.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.compat import harness
from tests.ui import data
from tests.ui.conftest import Page, checked_client, watched_page

REPO_ROOT = Path(__file__).resolve().parents[2]
# Its pages load their data in several rounds; "settled" is no new request for this long.
QUIET_SECONDS = 1.5
SETTLE_TIMEOUT = 20.0
# The official UI looks queues up by name through the *id* filter too
# ({"work_queues": {"id": {"any_": [names]}, "name": ...}}); the original server answers that
# 422 as we do, and the UI logs it. That one call is the original UI's own defect.
ORIGINAL_UI_DEFECT_CALL = "422 /api/work_queues/filter"
FAILED_CALLS_JS = (
    "return performance.getEntriesByType('resource')"
    ".filter(e => e.name.includes('/api/') && e.responseStatus >= 400)"
    ".map(e => e.responseStatus + ' ' + e.name)"
)


@pytest.fixture(scope="module")
def prefect_ui_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.OrionServer]:
    """A live server serving the official UI, fetched into its PREFECT_HOME first."""
    workdir = tmp_path_factory.mktemp("prefect-ui-server")
    home = workdir / "server-home"  # the PREFECT_HOME harness.start_server uses
    cache_dir = request.config.cache.mkdir("prefect-2.8.7-wheel")
    fetch = subprocess.run(
        [sys.executable, "manage.py", "orion_fetch_prefect_ui", "--cache-dir", str(cache_dir)],
        cwd=REPO_ROOT,
        env={**harness.server_environment(home, f"sqlite:///{home / 'unused.db'}", False, None)},
        capture_output=True,
        text=True,
        check=False,
    )
    if fetch.returncode != 0:
        pytest.skip(f"the prefect==2.8.7 wheel could not be fetched: {fetch.stderr.strip()[-300:]}")
    server = harness.start_server(workdir, services=False, env_extra={"PREFECT_UI_FLAVOR": "prefect", "PREFECT_UI_API_URL": "/api"})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def prefect_api(prefect_ui_server: harness.OrionServer) -> Iterator[httpx.Client]:
    """An HTTP client for that server's API (raises on error answers)."""
    with checked_client(prefect_ui_server.api_url) as client:
        yield client


@pytest.fixture(scope="module")
def objects(prefect_api: httpx.Client) -> dict[str, Any]:
    """One of everything the official UI has a page for."""
    api = prefect_api
    flow = data.flow(api, "official-flow")
    pool = api.post("/work_pools/", json={"name": "official-pool", "type": "process"}).json()
    queue = api.post("/work_queues/", json={"name": "official-queue"}).json()
    deployment = api.post(
        "/deployments/",
        json={
            "name": "official-dep",
            "flow_id": flow["id"],
            "work_queue_name": "official-queue",
            "parameter_openapi_schema": {"type": "object", "properties": {"x": {"type": "integer", "title": "x"}}},
        },
    ).json()
    run = data.flow_run(api, flow["id"], "official-run", "COMPLETED", deployment_id=deployment["id"])
    task = data.task_run(api, run["id"], "official-task")
    data.logs(api, run["id"], [("INFO", "hello from the official run")])
    block_type = api.get("/block_types/slug/secret").json()
    schema = api.post("/block_schemas/filter", json={"block_schemas": {"block_type_id": {"any_": [block_type["id"]]}}}).json()[0]
    block = api.post(
        "/block_documents/",
        json={"name": "official-secret", "block_type_id": block_type["id"], "block_schema_id": schema["id"], "data": {"value": "s3cr3t"}},
    ).json()
    limit = api.post("/concurrency_limits/", json={"tag": "official-tag", "concurrency_limit": 2}).json()
    api.post("/flow_run_notification_policies/", json={"state_names": ["Failed"], "tags": [], "block_document_id": block["id"]})
    return {"flow": flow, "pool": pool, "queue": queue, "deployment": deployment, "run": run, "task": task, "block": block, "limit": limit}


@pytest.fixture
def official(browser_driver: Any, prefect_ui_server: harness.OrionServer) -> Iterator[Page]:
    """The browser on the official UI's server; fails the test on any console error."""
    yield from watched_page(browser_driver, prefect_ui_server.url, "the official UI")


def settle(page: Page, path: str) -> None:
    """Wait for the page's app to render and its requests to stop for ``QUIET_SECONDS``."""
    page.wait_for(lambda: page.find_all("#app *"), f"the official UI to render {path}")
    deadline = time.monotonic() + SETTLE_TIMEOUT
    count, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        current = page.driver.execute_script("return performance.getEntriesByType('resource').length")
        if current != count:
            count, quiet_since = current, time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_SECONDS:
            return
        time.sleep(0.1)


def official_paths(objects: dict[str, Any]) -> list[str]:
    """Every route of the official UI, with ids of real objects."""
    dep, pool = objects["deployment"]["id"], objects["pool"]["name"]
    return [
        "/", "/flow-runs", f"/flow-runs/flow-run/{objects['run']['id']}", f"/flow-runs/task-run/{objects['task']['id']}",
        "/flows", f"/flows/flow/{objects['flow']['id']}",
        "/deployments", f"/deployments/deployment/{dep}", f"/deployments/deployment/{dep}/edit", f"/deployments/deployment/{dep}/run",
        "/work-queues", "/work-queues/create", f"/work-queues/work-queue/{objects['queue']['id']}/edit",
        "/work-pools", "/work-pools/create", f"/work-pools/work-pool/{pool}", f"/work-pools/work-pool/{pool}/edit",
        f"/work-pools/work-pool/{pool}/queue/default", "/blocks", "/blocks/catalog", "/blocks/catalog/secret",
        "/blocks/catalog/secret/create", f"/blocks/block/{objects['block']['id']}", f"/blocks/block/{objects['block']['id']}/edit",
        "/notifications", "/notifications/create", "/concurrency-limits",
        f"/concurrency-limits/concurrency-limit/{objects['limit']['id']}", "/settings",
    ]


def page_problems(page: Page, path: str) -> list[str]:
    """Open ``path``; what went wrong there (failed API calls, console errors).

    Not counted: the original UI's own defective queue lookup (see ORIGINAL_UI_DEFECT_CALL)
    with the errors it logs about it, and third-party images (block logos on a CDN) that an
    offline test machine cannot resolve.
    """
    page.open(path)
    settle(page, path)
    origin = page.base_url
    failed = page.driver.execute_script(FAILED_CALLS_JS)
    defect = any(call.replace(origin, "") == ORIGINAL_UI_DEFECT_CALL for call in failed)
    problems = [f"{path}: failed call {call}" for call in failed if call.replace(origin, "") != ORIGINAL_UI_DEFECT_CALL]
    for error in page.console_errors():
        if not error.startswith(origin) and "net::ERR_NAME_NOT_RESOLVED" in error:
            continue
        if defect and (f"{origin}/api/work_queues/filter" in error or (error.startswith(f"{origin}/assets/") and error.endswith(" db"))):
            continue
        problems.append(f"{path}: console error {error}")
    if not page.api_calls():
        problems.append(f"{path}: made no API call")
    return problems


def test_official_ui_is_served_with_its_settings(prefect_ui_server: harness.OrionServer) -> None:
    index = httpx.get(f"{prefect_ui_server.url}/flow-runs")
    assert index.status_code == 200 and "<title>Prefect Server</title>" in index.text
    settings = httpx.get(f"{prefect_ui_server.url}/ui-settings").json()
    assert settings["api_url"] == "/api" and "work_pools" in settings["flags"]


def test_every_page_of_the_official_ui_works_against_our_api(official: Page, objects: dict[str, Any]) -> None:
    problems = [problem for path in official_paths(objects) for problem in page_problems(official, path)]
    assert not problems, "\n".join(problems)


def test_the_official_work_queue_page_reads_its_runs(official: Page, objects: dict[str, Any]) -> None:
    # This page posts /work_queues/{id}/get_runs with no body at all.
    problems = page_problems(official, f"/work-queues/work-queue/{objects['queue']['id']}")
    assert not problems, "\n".join(problems)
    official.wait_for(lambda: "official-queue" in official.text("#app"), "the queue's name")
