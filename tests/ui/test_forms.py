"""Schema-driven forms: blocks (catalog, create, edit, delete), a deployment's custom run
and its edit page; every change is checked through the API afterwards."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.ui.conftest import Page
from tests.ui.helpers import assert_gone, confirm_delete, dismiss_delete, submit
from tests.ui.test_pages import settle


def fill(page: Page, css: str, text: str) -> None:
    """Replace the text of the input matching ``css``."""
    element = page.wait_for(lambda: page.find_all(css)[0], css)
    element.clear()
    element.send_keys(text)


def field_error(page: Page, path: str) -> str:
    """The message shown next to the field at ``path``."""
    return page.text(f'.field[data-path="{path}"] .field-error')


def assert_no_failed_calls(page: Page) -> None:
    """Every /api call the document made answered below 400."""
    failed = page.driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter(e => e.name.includes('/api/') && e.responseStatus >= 400).map(e => e.name + ' ' + e.responseStatus)"
    )
    assert not failed, failed


@pytest.fixture
def block_type(api: httpx.Client) -> dict[str, Any]:
    """A block type whose schema has every kind of field, a secret and a block reference."""
    suffix = uuid.uuid4().hex[:6]
    target = api.post("/block_types/", json={"name": f"Target {suffix}", "slug": f"target-{suffix}"}).json()
    target_schema = api.post("/block_schemas/", json={
        "block_type_id": target["id"],
        "fields": {"title": "Target", "type": "object", "properties": {"url": {"title": "Url", "type": "string"}}, "block_type_slug": target["slug"]},
    }).json()
    saved_target = api.post("/block_documents/", json={
        "name": "main-target", "data": {"url": "http://x"}, "block_type_id": target["id"], "block_schema_id": target_schema["id"],
    }).json()
    created = api.post("/block_types/", json={"name": f"Gadget {suffix}", "slug": f"gadget-{suffix}", "description": "A test gadget."}).json()
    fields = {
        "title": "Gadget", "type": "object",
        "properties": {
            "host": {"title": "Host", "type": "string"},
            "port": {"title": "Port", "type": "integer", "minimum": 1, "maximum": 65535},
            "ratio": {"title": "Ratio", "type": "number"},
            "verbose": {"title": "Verbose", "type": "boolean"},
            "mode": {"title": "Mode", "enum": ["fast", "safe"], "type": "string"},
            "names": {"title": "Names", "type": "array", "items": {"type": "string"}},
            "password": {"title": "Password", "type": "string", "writeOnly": True, "format": "password"},
            "extra": {"title": "Extra", "type": "object", "properties": {
                "region": {"title": "Region", "type": "string"},
                "token": {"title": "Token", "type": "string", "format": "password", "writeOnly": True},
            }},
            "target": {"title": "Target", "allOf": [{"$ref": "#/definitions/Target"}]},
        },
        "required": ["host", "port", "password"],
        "secret_fields": ["password", "extra.token"],
        "block_type_slug": created["slug"],
        "definitions": {"Target": target_schema["fields"]},
        "block_schema_references": {"target": {"block_type_slug": target["slug"], "block_schema_checksum": target_schema["checksum"]}},
    }
    schema = api.post("/block_schemas/", json={"block_type_id": created["id"], "fields": fields, "capabilities": ["gadgeting"]}).json()
    return {**created, "schema": schema, "target": saved_target}


def test_block_catalog_create_edit_and_delete(page: Page, api: httpx.Client, block_type: dict[str, Any]) -> None:
    slug = block_type["slug"]
    page.open("/blocks/catalog")
    page.wait_text(block_type["name"])
    settle(page)
    assert_no_failed_calls(page)
    page.open(f"/blocks/catalog/{slug}")
    page.wait_text("A test gadget.")
    assert "gadgeting" in page.text("#main")
    page.click_text("Create", "#main a .button")
    page.wait_for(lambda: page.driver.current_url.endswith(f"/blocks/catalog/{slug}/create"), "the create form")
    page.wait_for(lambda: len(page.find_all("select[name=target] option")) == 2, "the saved target in the picker")

    # Client-side validation: required fields and bounds, next to each field.
    page.click_text("Create", "form button")
    page.wait_for(lambda: "Required." in field_error(page, "host"), "the required message")
    assert "Required." in field_error(page, "password")
    fill(page, "input[name=host]", "example.org")
    fill(page, "input[name=port]", "70000")
    fill(page, "input[name=password]", "s3cret")
    page.click_text("Create", "form button")
    page.wait_for(lambda: "at most 65535" in field_error(page, "port"), "the maximum message")
    assert field_error(page, "host") == "", "a fixed field keeps no stale message"

    # The server's 422 (a bad name) is shown next to the name field.
    fill(page, "input[name=port]", "8080")
    fill(page, "#block-name", "Bad Name")
    page.click_text("Create", "form button")
    page.wait_for(lambda: page.text(".block-form > .field .field-error"), "the server's message next to the name")
    page.console_errors()  # the 422 itself is logged by the browser as a failed request

    fill(page, "#block-name", "my-gadget")
    fill(page, "input[name=ratio]", "0.5")
    page.find_all("input[name=verbose]")[0].click()
    page.find_all("select[name=mode]")[0].send_keys("safe")
    page.click_text("Add names item")
    fill(page, ".array-item input", "alpha")
    fill(page, "input[name='extra.region']", "eu")
    fill(page, "input[name='extra.token']", "tok")
    page.find_all("select[name=target]")[0].send_keys("main-target")
    page.click_text("Create", "form button")
    page.wait_for(lambda: "/blocks/block/" in page.driver.current_url, "the new block's page")
    page.wait_text("my-gadget", ".page-header")
    block_id = page.driver.current_url.rsplit("/", 1)[-1]
    assert "s3cret" not in page.text("#main")

    stored = api.get(f"/block_documents/{block_id}", params={"include_secrets": True}).json()
    assert stored["data"] == {
        "host": "example.org", "port": 8080, "ratio": 0.5, "verbose": True, "mode": "safe", "names": ["alpha"],
        "password": "s3cret", "extra": {"region": "eu", "token": "tok"}, "target": {"url": "http://x"},
    }
    assert stored["block_document_references"]["target"]["block_document"]["id"] == block_type["target"]["id"]

    # Edit: the secret is not prefilled and, left empty, is kept (not sent back).
    page.click_text("Edit", "#main a .button")
    page.wait_for(lambda: page.find_all("input[name=host]") and page.find_all("input[name=host]")[0].get_attribute("value") == "example.org", "the edit form")
    assert page.find_all("input[name=password]")[0].get_attribute("value") in ("", None)
    page.wait_for(lambda: page.find_all("select[name=target]")[0].get_attribute("value") == block_type["target"]["id"], "the preselected reference")
    fill(page, "input[name=host]", "other.example.org")
    page.click_text("Save", "form button")
    page.wait_for(lambda: page.driver.current_url.endswith(f"/blocks/block/{block_id}"), "the block's page after saving")
    stored = api.get(f"/block_documents/{block_id}", params={"include_secrets": True}).json()
    assert stored["data"]["host"] == "other.example.org"
    assert stored["data"]["password"] == "s3cret"
    assert stored["data"]["extra"] == {"region": "eu", "token": "tok"}
    assert stored["block_document_references"]["target"]["block_document"]["id"] == block_type["target"]["id"]

    # A nested object is saved as a whole: its secret must be typed again when it changes.
    page.click_text("Edit", "#main a .button")
    page.wait_for(lambda: page.find_all("input[name='extra.region']"), "the edit form")
    fill(page, "input[name='extra.region']", "us")
    submit(page, "Save", lambda: "Type it again" in field_error(page, "extra.token"), "the retype message")
    fill(page, "input[name='extra.token']", "tok2")
    submit(page, "Save", lambda: page.driver.current_url.endswith(f"/blocks/block/{block_id}"), "the block's page after saving")
    stored = api.get(f"/block_documents/{block_id}", params={"include_secrets": True}).json()
    assert stored["data"]["extra"] == {"region": "us", "token": "tok2"}
    assert stored["data"]["password"] == "s3cret"

    # Delete asks first.
    page.open("/blocks")
    page.wait_text("my-gadget")
    settle(page)
    assert_no_failed_calls(page)
    page.click_text("my-gadget", "#main a")
    dismiss_delete(page, api, f"/block_documents/{block_id}")
    confirm_delete(page, "/blocks", "the blocks list after deleting")
    assert_gone(api, f"/block_documents/{block_id}")


@pytest.fixture
def deployment(api: httpx.Client) -> dict[str, Any]:
    """A deployment with a parameter schema and an interval schedule."""
    flow = api.post("/flows/", json={"name": f"forms-{uuid.uuid4().hex[:6]}"}).json()
    schema = {
        "title": "Parameters", "type": "object",
        "properties": {"day": {"title": "day", "type": "integer", "minimum": 1, "maximum": 31}, "city": {"title": "city", "type": "string", "default": "Lyon"}},
        "required": ["day"],
    }
    return api.post("/deployments/", json={
        "name": "forms-dep", "flow_id": flow["id"], "parameters": {"day": 1}, "parameter_openapi_schema": schema,
        "schedule": {"interval": 3600}, "is_schedule_active": True, "tags": ["nightly"],
    }).json()


def test_custom_run_from_the_parameter_schema(page: Page, api: httpx.Client, deployment: dict[str, Any]) -> None:
    page.open(f"/deployments/deployment/{deployment['id']}")
    page.wait_text("forms-dep", ".page-header")
    page.click_text("Custom run", ".page-header a")
    page.wait_for(lambda: page.find_all("input[name=day]"), "the parameter form")
    settle(page)
    assert_no_failed_calls(page)
    fill(page, "input[name=day]", "40")
    page.click_text("Run", "form button")
    page.wait_for(lambda: "at most 31" in field_error(page, "day"), "the bound message")
    fill(page, "input[name=day]", "5")
    page.wait_for(lambda: field_error(page, "day") == "", "the message to go once the value is fixed")
    fill(page, "input[name=city]", "Paris")
    fill(page, "#run-name", "custom-one")
    fill(page, "#run-tags", "manual, urgent")
    page.driver.execute_script("document.getElementById('run-start').value = '2031-05-04T03:02'")
    page.click_text("Run", "form button")
    page.wait_for(lambda: "/flow-runs/flow-run/" in page.driver.current_url, "the new run's page")
    page.wait_text("custom-one", ".page-header")
    runs = api.post("/flow_runs/filter", json={"deployments": {"id": {"any_": [deployment["id"]]}}}).json()
    assert len(runs) == 1
    run = runs[0]
    assert (run["name"], run["parameters"], sorted(run["tags"]), run["state_type"]) == ("custom-one", {"day": 5, "city": "Paris"}, ["manual", "nightly", "urgent"], "SCHEDULED")
    assert run["next_scheduled_start_time"].startswith("2031-05-0")


def test_edit_a_deployment_and_its_schedule(page: Page, api: httpx.Client, deployment: dict[str, Any]) -> None:
    page.open(f"/deployments/deployment/{deployment['id']}/edit")
    page.wait_for(lambda: page.find_all("#deployment-description"), "the edit form")
    settle(page)
    assert_no_failed_calls(page)
    fill(page, "#deployment-description", "Runs every night.")
    fill(page, "#deployment-tags", "nightly, reports")
    fill(page, "input[name=day]", "7")
    fill(page, "#schedule-value", "-5")
    page.click_text("Save", "form button")
    page.wait_text("positive number", "fieldset")
    page.find_all("#schedule-kind")[0].send_keys("Cron")
    fill(page, "#schedule-value", "0 3 * * *")
    fill(page, "#schedule-timezone", "Europe/Paris")
    page.find_all("#schedule-active")[0].click()
    page.click_text("Save", "form button")
    page.wait_for(lambda: page.driver.current_url.endswith(f"/deployments/deployment/{deployment['id']}"), "the deployment page")
    page.wait_text("Runs every night.")
    stored = api.get(f"/deployments/{deployment['id']}").json()
    assert stored["description"] == "Runs every night."
    assert stored["tags"] == ["nightly", "reports"]
    assert stored["parameters"] == {"day": 7}
    assert stored["schedule"]["cron"] == "0 3 * * *" and stored["schedule"]["timezone"] == "Europe/Paris"
    assert stored["is_schedule_active"] is False

    # Remove the schedule.
    page.click_text("Edit", ".page-header a")
    page.wait_for(lambda: page.find_all("#schedule-kind"), "the edit form")
    page.find_all("#schedule-kind")[0].send_keys("No schedule")
    page.click_text("Save", "form button")
    page.wait_for(lambda: page.driver.current_url.endswith(f"/deployments/deployment/{deployment['id']}"), "the deployment page")
    assert api.get(f"/deployments/{deployment['id']}").json()["schedule"] is None


def test_create_and_edit_a_work_pool_with_its_job_variables(page: Page, api: httpx.Client) -> None:
    name = f"pool-{uuid.uuid4().hex[:6]}"
    template = {
        "job_configuration": {"image": "{{ image }}", "cpu": "{{ cpu }}"},
        "variables": {
            "type": "object",
            "properties": {
                "image": {"title": "Image", "type": "string", "default": "python:3.11"},
                "cpu": {"title": "CPU", "type": "integer", "minimum": 1},
            },
        },
    }
    page.open("/work-pools")
    page.wait_for(lambda: page.find_all("#main h1"), "the pools list")
    page.click_text("Create work pool", "#main a .button")
    page.wait_for(lambda: page.find_all("#pool-name"), "the create form")
    assert_no_failed_calls(page)
    fill(page, "#pool-name", name)
    fill(page, "#pool-description", "GPU boxes")
    fill(page, "#pool-limit", "3")
    page.find_all("#pool-template")[0].find_element("xpath", "ancestor::details").click()
    page.driver.execute_script(
        "const t = document.getElementById('pool-template'); t.value = arguments[0]; t.dispatchEvent(new Event('change'))",
        json.dumps(template),
    )
    page.wait_for(lambda: page.find_all("input[name=cpu]"), "the job variables form")
    assert page.find_all("input[name=image]")[0].get_attribute("value") == "python:3.11"
    fill(page, "input[name=cpu]", "0")
    submit(page, "Create", lambda: "at least 1" in field_error(page, "cpu"), "the minimum message")
    fill(page, "input[name=cpu]", "2")
    submit(page, "Create", lambda: page.driver.current_url.endswith(f"/work-pools/work-pool/{name}"), "the new pool's page")
    stored = api.get(f"/work_pools/{name}").json()
    assert (stored["description"], stored["concurrency_limit"], stored["is_paused"]) == ("GPU boxes", 3, False)
    assert stored["base_job_template"]["variables"]["properties"]["cpu"]["default"] == 2
    assert stored["base_job_template"]["job_configuration"] == template["job_configuration"]

    page.click_text("Edit", ".page-header a .button")
    page.wait_for(lambda: page.find_all("input[name=image]"), "the edit form")
    settle(page)
    assert_no_failed_calls(page)
    fill(page, "input[name=image]", "python:3.12")
    page.find_all("#pool-paused")[0].click()
    page.click_text("Save", "form button")
    page.wait_for(lambda: page.driver.current_url.endswith(f"/work-pools/work-pool/{name}"), "the pool's page after saving")
    stored = api.get(f"/work_pools/{name}").json()
    assert stored["is_paused"] is True
    assert stored["base_job_template"]["variables"]["properties"]["image"]["default"] == "python:3.12"
    assert stored["base_job_template"]["variables"]["properties"]["cpu"]["default"] == 2


def test_every_installed_block_type_has_a_working_create_form(page: Page, api: httpx.Client) -> None:
    types = api.post("/block_types/filter", json={"block_types": {"slug": {"any_": None}}}).json()
    system = [t for t in types if t["is_protected"]]
    assert system, "the system block types are installed"
    for block_type in system:
        page.open(f"/blocks/catalog/{block_type['slug']}/create")
        page.wait_for(lambda: page.find_all("form.block-form #block-name"), f"the {block_type['slug']} form")
        settle(page)
        assert not page.find_all("#main .error"), f"{block_type['slug']}: {page.text('#main')[:500]}"
        assert_no_failed_calls(page)

    # A system type end to end: a Secret, its value masked on its page and stored as typed.
    page.open("/blocks/catalog/secret/create")
    fill(page, "#block-name", "api-key")
    fill(page, "input[name=value]", "hunter2")
    page.click_text("Create", "form button")
    page.wait_text("api-key", ".page-header")
    assert "hunter2" not in page.driver.page_source
    block_id = page.driver.current_url.rsplit("/", 1)[-1]
    assert api.get(f"/block_documents/{block_id}", params={"include_secrets": True}).json()["data"] == {"value": "hunter2"}
