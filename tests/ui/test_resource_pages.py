"""The original's other routes: task run, work queues, concurrency limits, settings; the
confirm dialog, the theme toggle and the dashboard's Late tile. What a form does is checked
back through the API."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.ui import data
from tests.ui.conftest import Page
from tests.ui.helpers import assert_gone, confirm_delete, dismiss_delete
from tests.ui.test_pages import settle


def failed_calls(page: Page) -> list[str]:
    """API calls of the current document that got an error answer.

    Status 0 is left out: it is also what a request reports when the page it belonged to
    was left before the answer (the router aborts it on purpose); an unreachable server
    shows as an error box, which ``loaded`` checks.
    """
    return page.driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter(e => e.name.includes('/api/') && e.responseStatus >= 400)"
        ".map(e => e.name + ' ' + e.responseStatus)"
    )


def loaded(page: Page, path: str, heading: str) -> None:
    """Open ``path`` and wait until it shows ``heading`` with no error and no failed call."""
    page.open(path)
    page.wait_text(heading, "#main h1")
    settle(page)
    assert not page.find_all("#main .error"), page.text("#main")[:500]
    assert not failed_calls(page)


def fill(page: Page, name: str, value: str) -> None:
    """Type ``value`` into the form field called ``name`` (replacing what is there)."""
    element: Any = page.wait_for(lambda: page.find_all(f"form [name='{name}']")[0], f"the {name} field")
    element.clear()
    element.send_keys(value)


def submit_create(page: Page, fields: dict[str, str], shows: str) -> None:
    """Fill the open create form with ``fields`` (name to value), submit it, and wait for
    the new object's page header to show ``shows``."""
    for name, value in fields.items():
        fill(page, name, value)
    page.click_text("Create", "form button")
    page.wait_text(shows, ".page-header")


def create(page: Page, path: str, heading: str, fields: dict[str, str], shows: str) -> None:
    """Open the create form at ``path`` (checked as ``loaded`` does), then ``submit_create``."""
    loaded(page, path, heading)
    submit_create(page, fields, shows)


def test_task_run_page_is_linked_from_its_flow_run(page: Page, api: httpx.Client) -> None:
    flow = data.flow(api, "task-page")
    run = data.flow_run(api, flow["id"], f"run-{uuid.uuid4().hex[:6]}", "RUNNING")
    task = data.task_run(api, run["id"], "retried-task", "FAILED")
    api.post("/logs/", json=[{
        "name": "prefect.task_runs", "level": 40, "message": "task said no", "timestamp": data.now(),
        "flow_run_id": run["id"], "task_run_id": task["id"],
    }])
    page.open(f"/flow-runs/flow-run/{run['id']}")
    page.click_text("retried-task", ".timeline a")
    page.wait_for(lambda: page.driver.current_url.endswith(f"/flow-runs/task-run/{task['id']}"), "the task run page")
    page.wait_text("task said no")
    settle(page)
    assert "Failed" in page.text(".page-header")
    assert "Run count" in page.text(".summary") and run["name"] in page.text(".summary")
    assert not failed_calls(page)


def test_work_queue_create_edit_pause_and_delete(page: Page, api: httpx.Client) -> None:
    name = f"wq-{uuid.uuid4().hex[:6]}"
    create(page, "/work-queues/create", "Create a work queue", {"name": name, "concurrency_limit": "4"}, shows=name)
    queue = api.get(f"/work_queues/name/{name}").json()
    assert queue["concurrency_limit"] == 4
    assert page.driver.current_url.endswith(f"/work-queues/work-queue/{queue['id']}")
    settle(page)
    assert "No runs in this queue." in page.text("#main")
    assert not failed_calls(page)

    page.click_text("Pause", ".page-header button")
    page.wait_text("Resume", ".page-header")
    assert api.get(f"/work_queues/{queue['id']}").json()["is_paused"] is True

    page.click_text("Edit", ".page-header a")
    page.wait_text(f"Edit {name}", "#main h1")
    fill(page, "description", "nightly jobs")
    page.click_text("Save", "form button")
    page.wait_text("nightly jobs", ".summary")
    assert api.get(f"/work_queues/{queue['id']}").json()["description"] == "nightly jobs"

    # The list shows each queue with its pool.
    loaded(page, "/work-queues", "Work queues")
    row = next(r for r in page.find_all("table.grid tbody tr") if name in r.text)
    assert row.find_elements("css selector", "td")[1].text == "default-agent-pool"

    page.open(f"/work-queues/work-queue/{queue['id']}")
    dismiss_delete(page, api, f"/work_queues/{queue['id']}")  # dismissed: nothing happens
    confirm_delete(page, "/work-queues", "the queues list after deleting")
    assert_gone(api, f"/work_queues/{queue['id']}")


def test_concurrency_limit_create_detail_and_delete(page: Page, api: httpx.Client) -> None:
    tag = f"db-{uuid.uuid4().hex[:6]}"
    create(page, "/concurrency-limits/create", "Create a concurrency limit", {"tag": tag, "concurrency_limit": "2"}, shows=tag)
    limit = api.get(f"/concurrency_limits/tag/{tag}").json()
    assert limit["concurrency_limit"] == 2
    settle(page)
    assert "0 of 2" in page.text(".summary")
    assert not failed_calls(page)

    loaded(page, "/concurrency-limits", "Task run concurrency limits")
    page.click_text(tag, "table.grid a")
    page.wait_for(lambda: page.driver.current_url.endswith(f"/concurrency-limits/concurrency-limit/{limit['id']}"), "the limit page")
    confirm_delete(page, "/concurrency-limits", "the limits list after deleting")
    assert_gone(api, f"/concurrency_limits/tag/{tag}")


def test_settings_show_the_server_and_switch_the_theme(page: Page, api: httpx.Client) -> None:
    loaded(page, "/settings", "Settings")
    assert api.get("/admin/version").json() in page.text(".server-version")
    assert "PREFECT_" in page.text("table.grid")
    page.driver.find_element("css selector", "select[aria-label='Theme']").send_keys("Dark")
    page.wait_for(lambda: page.driver.execute_script("return document.documentElement.dataset.theme") == "dark", "the dark theme")
    page.open("/work-queues")  # the choice is kept across page loads
    page.wait_text("Work queues", "#main h1")
    assert page.driver.execute_script("return document.documentElement.dataset.theme") == "dark"
    page.screenshot("work-queues-dark")
    page.driver.execute_script("localStorage.removeItem('orion-theme')")


def test_late_runs_have_their_own_tile_and_list_filters_work(page: Page, api: httpx.Client) -> None:
    flow = data.flow(api, "late-tile")
    run = data.flow_run(api, flow["id"], "late-one", "SCHEDULED")
    data.set_flow_run_state(api, run["id"], "SCHEDULED", "Late")
    loaded(page, "/", "Dashboard")
    page.wait_for(lambda: page.find_all(".card[data-state='LATE']"), "a Late tile")

    name = f"filtered-{uuid.uuid4().hex[:6]}"
    api.post("/work_queues/", json={"name": name})
    loaded(page, "/work-queues", "Work queues")
    page.driver.find_element("css selector", "input.list-filter").send_keys(name)
    visible = [r.text for r in page.find_all("table.grid tbody tr") if r.is_displayed()]
    assert len(visible) == 1 and name in visible[0]


def test_pool_queues_create_edit_pause_delete_and_pool_pause(page: Page, api: httpx.Client) -> None:
    pool = api.post("/work_pools/", json={"name": f"pool-{uuid.uuid4().hex[:6]}", "type": "process"}).json()
    loaded(page, f"/work-pools/work-pool/{pool['name']}", pool["name"])
    page.click_text("Pause pool", ".pool-actions button")
    page.wait_text("Resume pool", ".pool-actions")
    assert api.get(f"/work_pools/{pool['name']}").json()["is_paused"] is True

    page.click_text("Create a queue", ".pool-actions a")
    page.wait_text(f"Create a queue in {pool['name']}", "#main h1")
    submit_create(page, {"name": "high", "priority": "1"}, shows="high")
    queue = api.get(f"/work_pools/{pool['name']}/queues/high").json()
    assert queue["priority"] == 1
    settle(page)
    assert not failed_calls(page)

    page.click_text("Pause", ".page-header button")
    page.wait_text("Resume", ".page-header")
    assert api.get(f"/work_pools/{pool['name']}/queues/high").json()["is_paused"] is True
    page.click_text("Edit", ".page-header a")
    page.wait_text("Edit high", "#main h1")
    fill(page, "concurrency_limit", "7")
    page.click_text("Save", "form button")
    page.wait_text("7", ".summary")
    assert api.get(f"/work_pools/{pool['name']}/queues/high").json()["concurrency_limit"] == 7

    confirm_delete(page, f"/work-pools/work-pool/{pool['name']}", "the pool page after deleting")
    names = [q["name"] for q in api.post(f"/work_pools/{pool['name']}/queues/filter", json={}).json()]
    assert "high" not in names


def test_notification_create_edit_and_delete(page: Page, api: httpx.Client) -> None:
    from selenium.webdriver.support.ui import Select

    block_type = api.get("/block_types/slug/slack-webhook").json()
    schema = api.post("/block_schemas/filter", json={"block_schemas": {"block_type_id": {"any_": [block_type["id"]]}}}).json()[0]
    name = f"alerts-{uuid.uuid4().hex[:6]}"
    target = api.post("/block_documents/", json={
        "name": name, "data": {"url": "https://hooks.example.invalid/x"}, "block_schema_id": schema["id"], "block_type_id": block_type["id"],
    }).json()
    before = {p["id"] for p in api.post("/flow_run_notification_policies/filter", json={}).json()}

    loaded(page, "/notifications/create", "Create a notification")
    page.click_text("Failed", ".state-picker label")
    fill(page, "tags", "prod, nightly")
    Select(page.driver.find_element("css selector", "select[name='block_document_id']")).select_by_value(target["id"])
    page.click_text("Create", "form button")
    page.wait_for(lambda: page.driver.current_url.endswith("/notifications"), "the notifications list")
    page.wait_text(name)
    created = [p for p in api.post("/flow_run_notification_policies/filter", json={}).json() if p["id"] not in before]
    assert len(created) == 1
    policy = created[0]
    assert policy["state_names"] == ["Failed"] and policy["tags"] == ["prod", "nightly"]
    assert policy["block_document_id"] == target["id"]

    loaded(page, f"/notifications/edit/{policy['id']}", "Edit notification")
    page.click_text("Crashed", ".state-picker label")
    page.click_text("Save", "form button")
    page.wait_for(lambda: page.driver.current_url.endswith("/notifications"), "the notifications list")
    page.wait_text(name)
    assert api.get(f"/flow_run_notification_policies/{policy['id']}").json()["state_names"] == ["Failed", "Crashed"]

    row = next(r for r in page.find_all("table.grid tbody tr") if name in r.text)
    row.find_element("css selector", "button.danger").click()
    page.click_text("Delete", "dialog button")
    page.wait_for(lambda: name not in page.text("#main"), "the deleted policy to leave the list")
    with pytest.raises(AssertionError, match="404"):
        api.get(f"/flow_run_notification_policies/{policy['id']}")


def test_lists_filter_and_pages_fit_a_narrow_window_with_visible_focus(page: Page, api: httpx.Client) -> None:
    pool = api.post("/work_pools/", json={"name": f"narrow-{uuid.uuid4().hex[:6]}", "type": "process"}).json()
    loaded(page, "/work-pools", "Work pools")
    page.driver.find_element("css selector", "input.list-filter").send_keys(pool["name"])
    visible = [r.text for r in page.find_all("table.grid tbody tr") if r.is_displayed()]
    assert len(visible) == 1 and pool["name"] in visible[0]
    # Keyboard focus (Tab from the filter to the pool's link) draws an outline.
    page.driver.switch_to.active_element.send_keys("\t")
    focused = page.driver.execute_script(
        "const e = document.activeElement; return [e.tagName, e.matches(':focus-visible'), getComputedStyle(e).outlineStyle]"
    )
    assert focused[0] == "A" and focused[1] is True and focused[2] != "none", focused
    loaded(page, "/deployments", "Deployments")
    assert page.find_all("input.list-filter")

    page.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 420, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    try:
        for path, heading in (("/work-queues", "Work queues"), ("/settings", "Settings"), (f"/work-pools/work-pool/{pool['name']}", pool["name"])):
            loaded(page, path, heading)
            width = page.driver.execute_script("return document.documentElement.scrollWidth")
            assert width <= 420, f"{path} is {width}px wide on a 420px window"
    finally:
        page.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
