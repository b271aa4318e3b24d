#!/usr/bin/env python
"""Screenshots of every page of the UI at 1280x800, light and dark, into docs/screenshots/.

    .venv/bin/python bench/screenshots.py [--out docs/screenshots]

Starts this server under daphne on a free loopback port with a temporary PREFECT_HOME,
makes a small set of demo data through the API (flows, runs with task dependencies and a
subflow, logs with a traceback, a deployment, queues, a pool, a block, a limit, a
notification policy), then opens each of the original's routes in headless Chromium,
once with ``prefers-color-scheme: light`` and once with ``dark``, and saves
``<page>-light.png`` / ``<page>-dark.png``. A route this build does not have (it shows
"Page not found") is listed and skipped, not photographed. Exit status 1 if a page logs a
console error.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.compat import harness  # noqa: E402
from tests.ui import data  # noqa: E402
from tests.ui.conftest import Page  # noqa: E402
from bench.ui_scale import start_browser  # noqa: E402

SCHEMES = ("light", "dark")
SETTLE_SECONDS = 20.0


def demo_data(api: Any) -> dict[str, str]:
    """One of everything a page is about; the ids the routes need."""
    flow = data.flow(api, "etl")
    pool = api.post("/work_pools/", json={"name": "docker-pool", "type": "process"}).json()
    queue = api.post("/work_queues/", json={"name": "reports"}).json()
    deployment = api.post("/deployments/", json={
        "name": "nightly", "flow_id": flow["id"], "work_queue_name": "reports",
        "parameter_openapi_schema": {"type": "object", "properties": {"day": {"type": "string", "title": "day"}}},
    }).json()
    for index, state_type in enumerate(["COMPLETED", "COMPLETED", "FAILED", "COMPLETED"]):
        data.flow_run(api, flow["id"], f"nightly-{index}", state_type, deployment_id=deployment["id"])
    run = data.flow_run(api, flow["id"], "nightly-main", "RUNNING", deployment_id=deployment["id"])
    extract = data.task_run(api, run["id"], "extract")
    transform = api.post("/task_runs/", json={
        "flow_run_id": run["id"], "task_key": "transform", "dynamic_key": "0", "name": "transform",
        "state": data.state("RUNNING"), "task_inputs": {"rows": [{"input_type": "task_run", "id": extract["id"]}]},
    }).json()
    placeholder = data.task_run(api, run["id"], "load-subflow", "RUNNING")
    child = data.flow_run(api, flow["id"], "load", "RUNNING", parent_task_run_id=placeholder["id"])
    data.task_run(api, child["id"], "write")
    data.logs(api, run["id"], [
        ("INFO", "Created task run 'extract'"), ("INFO", "Finished in state Completed()"),
        ("ERROR", "Task run 'transform' failed\nTraceback (most recent call last):\n  File \"etl.py\", line 12, in transform\nKeyError: 'amount'"),
    ])
    block_type = api.get("/block_types/slug/secret").json()
    schema = api.post("/block_schemas/filter", json={"block_schemas": {"block_type_id": {"any_": [block_type["id"]]}}}).json()[0]
    block = api.post("/block_documents/", json={
        "name": "db-password", "block_type_id": block_type["id"], "block_schema_id": schema["id"], "data": {"value": "hunter2"},
    }).json()
    limit = api.post("/concurrency_limits/", json={"tag": "database", "concurrency_limit": 3}).json()
    api.post("/flow_run_notification_policies/", json={"state_names": ["Failed"], "tags": [], "block_document_id": block["id"]})
    return {"flow": flow["id"], "run": run["id"], "task": transform["id"], "deployment": deployment["id"], "queue": queue["id"],
            "pool": pool["name"], "block": block["id"], "limit": limit["id"]}


def pages(ids: dict[str, str]) -> list[tuple[str, str]]:
    """(file name, path) of every route of the original UI."""
    return [
        ("dashboard", "/"), ("flow-runs", "/flow-runs"), ("flow-run", f"/flow-runs/flow-run/{ids['run']}"),
        ("task-run", f"/flow-runs/task-run/{ids['task']}"), ("flows", "/flows"), ("flow", f"/flows/flow/{ids['flow']}"),
        ("deployments", "/deployments"), ("deployment", f"/deployments/deployment/{ids['deployment']}"),
        ("deployment-edit", f"/deployments/deployment/{ids['deployment']}/edit"),
        ("deployment-run", f"/deployments/deployment/{ids['deployment']}/run"),
        ("work-queues", "/work-queues"), ("work-queue", f"/work-queues/work-queue/{ids['queue']}"),
        ("work-pools", "/work-pools"), ("work-pool", f"/work-pools/work-pool/{ids['pool']}"),
        ("blocks", "/blocks"), ("blocks-catalog", "/blocks/catalog"), ("blocks-catalog-secret", "/blocks/catalog/secret"),
        ("block-create", "/blocks/catalog/secret/create"), ("block", f"/blocks/block/{ids['block']}"),
        ("notifications", "/notifications"), ("concurrency-limits", "/concurrency-limits"),
        ("concurrency-limit", f"/concurrency-limits/concurrency-limit/{ids['limit']}"), ("settings", "/settings"),
        ("about", "/about"),
    ]


def settle(page: Page) -> None:
    """Wait until the page has a heading and nothing says it is loading."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        if page.find_all("#main h1") and not page.find_all("#main .loading, #main .vlist-placeholder"):
            return
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    """Photograph every page; print what was saved and what was skipped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="orion-screenshots-") as workdir:
        server = harness.start_server(Path(workdir), services=False, env_extra={"PREFECT_UI_API_URL": "/api"})
        driver = None
        try:
            import httpx

            with httpx.Client(base_url=server.api_url, timeout=30) as api:
                ids = demo_data(api)
            driver = start_browser(Path(workdir) / "profile")
            page = Page(driver, server.url)
            for scheme in SCHEMES:
                driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
                for name, path in pages(ids):
                    page.open(path)
                    settle(page)
                    if "Page not found" in page.text("#main"):
                        print(f"skipped {path}: this build has no such page")
                        continue
                    errors += [f"{path} ({scheme}): {e}" for e in page.console_errors()]
                    target = args.out / f"{name}-{scheme}.png"
                    driver.save_screenshot(str(target))
                    print(f"saved {target.relative_to(ROOT)}")
        finally:
            if driver is not None:
                driver.quit()
            server.stop()
    for error in errors:
        print(f"console error: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
