"""What a person sees on the main pages, with data made through the API."""

from __future__ import annotations

import uuid

import httpx

from tests.ui import data
from tests.ui.conftest import Page
from tests.ui.helpers import assert_gone, confirm_delete

MAX_API_CALLS = 10


def settle(page: Page) -> None:
    """Wait until no section still says it is loading."""
    page.wait_for(lambda: not page.find_all("#main .loading") and not page.find_all("#main .vlist-placeholder"), "the page to finish loading")


def test_runs_of_a_flow_are_listed_with_their_states(page: Page, api: httpx.Client) -> None:
    flow = data.flow(api, "list-flow")
    expected = {"list-done": "Completed", "list-broken": "Failed", "list-busy": "Running"}
    for name, state_name in expected.items():
        data.flow_run(api, flow["id"], name, state_name.upper())
    other = data.flow(api, "someone-else")
    data.flow_run(api, other["id"], "not-mine", "COMPLETED")

    page.open(f"/flow-runs?flow={flow['id']}")
    page.wait_text("list-busy")
    settle(page)
    rows = {row.find_element("css selector", "a").text: row.find_element("css selector", ".state").text for row in page.find_all("table.runs tbody tr")}
    assert rows == expected
    assert "3 total" in page.text(".pager")
    assert len(page.api_calls()) <= MAX_API_CALLS
    page.screenshot("runs-list")

    # Filtering by state narrows the list; the filter lives in the address bar.
    page.open(f"/flow-runs?flow={flow['id']}&state=FAILED")
    page.wait_text("1 total")
    assert [row.find_element("css selector", "a").text for row in page.find_all("table.runs tbody tr")] == ["list-broken"]


def make_run_with_tasks_and_logs(api: httpx.Client) -> dict:
    flow = data.flow(api, "etl")
    run = data.flow_run(api, flow["id"], f"run-{uuid.uuid4().hex[:6]}", "RUNNING", parameters={"city": "Lyon"})
    for name, state_type in (("extract-0", "COMPLETED"), ("transform-0", "FAILED"), ("load-0", "RUNNING")):
        data.task_run(api, run["id"], name, state_type)
    data.logs(api, run["id"], [("INFO", f"processing batch {n}") for n in range(30)] + [("ERROR", "transform blew up")])
    return run


def test_run_page_shows_state_parameters_task_timeline_and_logs(page: Page, api: httpx.Client) -> None:
    run = make_run_with_tasks_and_logs(api)
    page.open(f"/flow-runs/flow-run/{run['id']}")
    page.wait_text("transform-0", ".timeline")
    page.wait_text("transform blew up", ".logs")
    settle(page)
    assert "Running" in page.text(".page-header")
    assert '"city": "Lyon"' in page.text(".summary")
    tasks = {row.find_element("css selector", ".task-name").text: row.find_element("css selector", ".state").text for row in page.find_all(".timeline .task-row")}
    assert tasks == {"extract-0": "Completed", "transform-0": "Failed", "load-0": "Running"}
    assert len(page.find_all(".timeline .task-track .bar")) == 3, "every started task has a bar on the timeline"
    assert "processing batch 0" in page.text(".logs")
    assert "3 rows" in page.text(".timeline + .vlist-status")
    admin = page.driver.find_element("css selector", "a.admin-link").get_attribute("href")
    assert admin.endswith(f"/admin/api/flowrun/{run['id']}/change/")
    assert len(page.api_calls()) <= MAX_API_CALLS
    page.screenshot("flow-run")

    # Only errors and worse, once the level filter says so.
    page.driver.find_element("css selector", "select[aria-label='Log level']").send_keys("Error and up")
    page.wait_for(lambda: "processing batch" not in page.text(".logs"), "info lines to disappear")
    assert "transform blew up" in page.text(".logs")


def test_changes_made_through_the_api_appear_on_an_open_run_page(page: Page, api: httpx.Client) -> None:
    run = make_run_with_tasks_and_logs(api)
    page.open(f"/flow-runs/flow-run/{run['id']}")
    page.wait_text("transform-0", ".timeline")
    page.wait_for(lambda: "live" in page.text(".live-status") and "offline" not in page.text(".live-status"), "the live connection")
    page.driver.execute_script("window.__same_document = true")

    data.set_flow_run_state(api, run["id"], "COMPLETED")
    page.wait_for(lambda: "Completed" in page.text(".page-header"), "the new state in the header", timeout=5)
    data.task_run(api, run["id"], "report-0", "COMPLETED")
    page.wait_text("report-0", ".timeline", timeout=5)
    data.logs(api, run["id"], [("WARNING", "late log line")], start_offset=1)
    page.wait_text("late log line", ".logs", timeout=5)
    assert page.driver.execute_script("return window.__same_document === true"), "the page was reloaded"


def test_a_deep_link_to_a_run_survives_a_reload(page: Page, api: httpx.Client) -> None:
    flow = data.flow(api, "deep")
    run = data.flow_run(api, flow["id"], "deep-linked-run", "COMPLETED")
    page.open(f"/flow-runs/flow-run/{run['id']}")
    page.wait_text("deep-linked-run", ".page-header")
    page.driver.refresh()
    page.wait_text("deep-linked-run", ".page-header")
    assert page.driver.title == "deep / deep-linked-run · Orion"


def test_cancel_and_delete_a_run(page: Page, api: httpx.Client) -> None:
    flow = data.flow(api, "actions")
    run = data.flow_run(api, flow["id"], "to-cancel", "RUNNING")
    page.open(f"/flow-runs/flow-run/{run['id']}")
    page.wait_text("to-cancel", ".page-header")
    page.click_text("Cancel", ".page-header button")
    page.click_text("Cancel run", "dialog button")
    page.wait_for(lambda: "Cancelling" in page.text(".page-header"), "the run to be cancelling")
    assert api.get(f"/flow_runs/{run['id']}").json()["state_type"] == "CANCELLING"

    confirm_delete(page, "/flow-runs", "the runs list after deleting")
    assert_gone(api, f"/flow_runs/{run['id']}")


def test_run_now_is_one_click_with_the_default_parameters(page: Page, api: httpx.Client) -> None:
    flow = data.flow(api, "reports")
    schema = {"title": "Parameters", "type": "object", "properties": {"day": {"type": "integer"}}, "required": ["day"]}
    deployment = api.post("/deployments/", json={
        "name": "nightly", "flow_id": flow["id"], "parameters": {"day": 1}, "parameter_openapi_schema": schema,
    }).json()
    page.open("/deployments")
    row = page.wait_for(lambda: next(r for r in page.find_all("table.grid tbody tr") if "/ nightly" in r.text), "the nightly row")
    row.find_element("xpath", ".//button[text()='Run now']").click()
    page.wait_for(lambda: "/flow-runs/flow-run/" in page.driver.current_url, "the new run's page")
    page.wait_text("Scheduled", ".page-header")
    runs = api.post("/flow_runs/filter", json={"deployments": {"id": {"any_": [deployment["id"]]}}}).json()
    assert [(r["parameters"], r["state_type"]) for r in runs] == [({"day": 1}, "SCHEDULED")]
    assert page.driver.current_url.endswith(runs[0]["id"])


def test_dashboard_counts_runs_by_state_and_draws_history(page: Page, api: httpx.Client) -> None:
    flow = data.flow(api, "dash")
    for index in range(3):
        data.flow_run(api, flow["id"], f"dash-ok-{index}", "COMPLETED")
    data.flow_run(api, flow["id"], "dash-failed", "FAILED")
    page.open("/?window=1h")
    page.wait_text("dash-failed", ".columns")
    settle(page)
    cards = {card.get_attribute("data-state"): int(card.find_element("css selector", ".card-count").text.replace(",", "")) for card in page.find_all(".card[data-state]")}
    assert cards.get("FAILED", 0) >= 1 and cards.get("COMPLETED", 0) >= 3
    assert page.find_all("svg.chart rect.bar-completed"), "completed runs are drawn in the history chart"
    assert len(page.api_calls()) <= MAX_API_CALLS
    page.screenshot("dashboard")


def test_every_page_renders_without_errors(page: Page, api: httpx.Client) -> None:
    flow = data.flow(api, "tour")
    deployment = api.post("/deployments/", json={"name": "tour-dep", "flow_id": flow["id"]}).json()
    paths = [
        "/", "/flow-runs", "/flows", f"/flows/flow/{flow['id']}", "/deployments", f"/deployments/deployment/{deployment['id']}",
        "/work-pools", "/blocks", "/concurrency-limits", "/notifications", "/about",
    ]
    for index, path in enumerate(paths):
        page.open(path)
        page.wait_for(lambda: page.find_all("#main h1"), f"a heading on {path}")
        settle(page)
        assert not page.find_all("#main .error"), f"{path} shows an error: {page.text('#main')[:500]}"
        assert len(page.api_calls()) <= MAX_API_CALLS, f"{path} made {len(page.api_calls())} API calls"
        page.screenshot(f"page-{index:02d}-{path.strip('/').split('/')[-2 if path.count('/') > 2 else 0] or 'dashboard'}")


def test_api_errors_are_shown_not_a_blank_page(page: Page) -> None:
    page.open(f"/flow-runs/flow-run/{uuid.uuid4()}")
    page.wait_text("Could not load this: 404")
    errors = page.console_errors()
    assert errors and all("404" in error for error in errors), errors


def test_resume_a_paused_run_and_retry_a_failed_deployment_run(page: Page, api: httpx.Client) -> None:
    flow = data.flow(api, "pausing")
    paused = data.flow_run(api, flow["id"], "waiting-for-approval", "RUNNING")
    data.set_flow_run_state(api, paused["id"], "PAUSED")
    page.open(f"/flow-runs/flow-run/{paused['id']}")
    page.wait_text("Paused", ".page-header")
    page.click_text("Resume", ".page-header button")
    page.wait_for(lambda: "Running" in page.text(".page-header"), "the run to be running again")

    deployment = api.post("/deployments/", json={"name": "retryable", "flow_id": flow["id"]}).json()
    failed = api.post(f"/deployments/{deployment['id']}/create_flow_run", json={"name": "failed-once", "state": data.state("FAILED")}).json()
    page.open(f"/flow-runs/flow-run/{failed['id']}")
    page.wait_text("Failed", ".page-header")
    page.click_text("Retry", ".page-header button")
    page.wait_for(lambda: "AwaitingRetry" in page.text(".page-header"), "the run to await its retry")
    assert api.get(f"/flow_runs/{failed['id']}").json()["state_name"] == "AwaitingRetry"


def test_new_runs_appear_in_an_open_runs_list(page: Page, api: httpx.Client) -> None:
    flow = data.flow(api, "growing")
    data.flow_run(api, flow["id"], "first-run", "COMPLETED")
    page.open(f"/flow-runs?flow={flow['id']}")
    page.wait_text("first-run")
    page.wait_for(lambda: "offline" not in page.text(".live-status") and "live" in page.text(".live-status"), "the live connection")
    data.flow_run(api, flow["id"], "second-run", "RUNNING")
    page.wait_text("second-run", timeout=8)
    assert "2 total" in page.text(".pager")


def test_block_secrets_stay_masked(page: Page, api: httpx.Client) -> None:
    block_type = api.get("/block_types/slug/secret").json()
    schema = api.post("/block_schemas/filter", json={"block_schemas": {"block_type_id": {"any_": [block_type["id"]]}}}).json()[0]
    api.post("/block_documents/", json={
        "name": "db-password", "data": {"value": "hunter2"}, "block_schema_id": schema["id"], "block_type_id": block_type["id"],
    })
    page.open("/blocks")
    page.wait_text("db-password")
    page.click_text("db-password", "#main a")
    page.wait_text("********")
    assert "hunter2" not in page.driver.page_source
    assert not [url for url in page.api_calls() if "include_secrets" in url]


def test_work_pools_show_their_queues_health_and_workers(page: Page, api: httpx.Client) -> None:
    api.post("/work_pools/", json={"name": "k8s-pool", "type": "kubernetes"})
    api.post("/work_pools/k8s-pool/queues", json={"name": "high-priority"})
    api.post("/work_pools/k8s-pool/workers/heartbeat", json={"name": "worker-1"})
    api.post("/work_pools/k8s-pool/get_scheduled_flow_runs", json={"work_queue_names": ["high-priority"]})

    page.open("/work-pools")
    page.wait_text("k8s-pool")
    assert "high-priority" in page.text("table.grid")
    page.click_text("k8s-pool", "#main a")
    page.wait_text("worker-1")
    settle(page)
    health = {row.find_elements("css selector", "td")[0].text: row.find_elements("css selector", "td")[2].text for row in page.find_all("section:nth-of-type(2) table.grid tbody tr")}
    assert health == {"default": "Unhealthy", "high-priority": "Healthy"}


def test_concurrency_limits_and_notification_policies(page: Page, api: httpx.Client) -> None:
    api.post("/concurrency_limits/", json={"tag": "database", "concurrency_limit": 3})
    page.open("/concurrency-limits")
    page.wait_text("database")
    row = next(r for r in page.find_all("table.grid tbody tr") if "database" in r.text)
    assert row.find_elements("css selector", "td")[1].text == "3"

    block_type = api.get("/block_types/slug/secret").json()
    schema = api.post("/block_schemas/filter", json={"block_schemas": {"block_type_id": {"any_": [block_type["id"]]}}}).json()[0]
    target = api.post("/block_documents/", json={
        "name": "pager-target", "data": {"value": "x"}, "block_schema_id": schema["id"], "block_type_id": block_type["id"],
    }).json()
    policy = api.post("/flow_run_notification_policies/", json={
        "state_names": ["Failed"], "tags": ["prod"], "block_document_id": target["id"],
    }).json()
    page.open("/notifications")
    page.wait_text("pager-target")
    assert "Failed" in page.text("table.grid") and "prod" in page.text("table.grid")
    page.find_all("table.grid input[type=checkbox]")[0].click()
    page.wait_text(" off")
    assert api.get(f"/flow_run_notification_policies/{policy['id']}").json()["is_active"] is False


def test_subflows_and_parent_link_both_ways(page: Page, api: httpx.Client) -> None:
    flow = data.flow(api, "orchestrator")
    parent = data.flow_run(api, flow["id"], "parent-run", "RUNNING")
    calling_task = data.task_run(api, parent["id"], "child-flow-call", "RUNNING")
    child_flow = data.flow(api, "worker-flow")
    child = data.flow_run(api, child_flow["id"], "child-run", "COMPLETED", parent_task_run_id=calling_task["id"])

    page.open(f"/flow-runs/flow-run/{parent['id']}")
    page.wait_text("child-run")
    page.click_text("child-run", "ul.subflows a")
    page.wait_text("child-run", ".page-header")
    page.wait_text("parent-run", ".summary")
    assert page.driver.current_url.endswith(child["id"])


def test_a_deployment_schedule_is_turned_off_and_on(page: Page, api: httpx.Client) -> None:
    flow = data.flow(api, "scheduled")
    deployment = api.post("/deployments/", json={
        "name": "hourly", "flow_id": flow["id"], "schedule": {"interval": 3600}, "is_schedule_active": True,
    }).json()
    page.open(f"/deployments/deployment/{deployment['id']}")
    page.wait_text("Every 1h (on)")
    page.click_text("Pause schedule")
    page.wait_text("Every 1h (off)")
    assert api.get(f"/deployments/{deployment['id']}").json()["is_schedule_active"] is False
    page.click_text("Resume schedule")
    page.wait_text("Every 1h (on)")
    assert api.get(f"/deployments/{deployment['id']}").json()["is_schedule_active"] is True


def test_live_logs_follow_after_a_full_page_of_logs(page: Page, api: httpx.Client) -> None:
    flow = data.flow(api, "chatty")
    run = data.flow_run(api, flow["id"], "two-hundred-lines", "RUNNING")
    data.logs(api, run["id"], [("INFO", f"line {n:03d}") for n in range(200)])
    page.open(f"/flow-runs/flow-run/{run['id']}")
    page.wait_text("line 000", ".logs")
    page.driver.execute_script("const el = document.querySelector('.logs'); el.scrollTop = el.scrollHeight")
    page.wait_text("line 199", ".logs")
    page.wait_for(lambda: "200 rows loaded" in page.text(".logs + .vlist-status"), "all 200 lines loaded")
    page.wait_for(lambda: "live" in page.text(".live-status"), "the live connection")
    data.logs(api, run["id"], [("INFO", "line 200, the first of the next page")], start_offset=5)
    page.wait_text("line 200, the first of the next page", ".logs", timeout=5)
