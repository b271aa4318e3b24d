"""Signing in, seeing runs, managing tokens and signing out in the browser, on a server
with ``ORION_AUTH_REQUIRED=true``; and a viewer, who sees no buttons that change things
and is refused (403) when calling those endpoints anyway."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.compat import harness
from tests.ui import data
from tests.ui.conftest import Page

PASSWORD = "correct horse battery"
SET_PASSWORDS = f"""
from django.contrib.auth import get_user_model
for name in ("olga", "vic"):
    user = get_user_model().objects.get(username=name)
    user.set_password({PASSWORD!r})
    user.save()
"""


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory, ui_server: harness.OrionServer) -> Iterator[harness.OrionServer]:
    """A second live server (the session's ``ui_server`` has auth off), with an operator
    ``olga`` and a viewer ``vic``, both with passwords."""
    server = harness.start_server(
        tmp_path_factory.mktemp("ui-auth-server"), services=False,
        env_extra={"PREFECT_UI_API_URL": "/api", "ORION_AUTH_REQUIRED": "true"},
    )
    try:
        for user, role in (("olga", "operator"), ("vic", "viewer")):
            harness.run_manage(server, ["orion_token", "create", "--user", user, "--role", role])
        harness.run_manage(server, ["shell", "-c", SET_PASSWORDS])
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def admin_api(auth_server: harness.OrionServer) -> Iterator[httpx.Client]:
    """The API as an admin token client (raises on error answers)."""
    secret = harness.run_manage(auth_server, ["orion_token", "create", "--user", "root", "--role", "admin"]).stdout.splitlines()[-1]
    with httpx.Client(base_url=auth_server.api_url, headers={"Authorization": f"Bearer {secret}"}, timeout=30) as client:
        client.event_hooks["response"] = [lambda r: r.raise_for_status()]
        yield client


@pytest.fixture
def auth_page(browser_driver: Any, auth_server: harness.OrionServer) -> Iterator[Page]:
    """The browser on the auth server, signed out, failing the test on unexpected console errors."""
    page = Page(browser_driver, auth_server.url)
    browser_driver.get("about:blank")
    browser_driver.delete_all_cookies()
    page.console_errors()
    yield page
    # The 401 that sends a signed-out browser to the sign-in page and the viewer's
    # deliberate 403 are logged by Chromium as failed loads; anything else is a bug.
    errors = [e for e in page.console_errors() if " 401 " not in e and " 403 " not in e]
    browser_driver.get("about:blank")
    browser_driver.delete_all_cookies()
    assert not errors, f"the page logged console errors: {errors}"


def sign_in(page: Page, username: str, next_path: str) -> None:
    """Open ``next_path``; the SPA sends the signed-out browser to the sign-in page."""
    from selenium.webdriver.common.by import By

    page.open(next_path)
    page.wait_for(lambda: "/login/" in page.driver.current_url, "the sign-in page")
    page.driver.find_element(By.ID, "id_username").send_keys(username)
    page.driver.find_element(By.ID, "id_password").send_keys(PASSWORD)
    page.driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    page.wait_for(lambda: page.driver.current_url.endswith(next_path), f"back on {next_path}")


def fetch_status(page: Page, method: str, path: str, body: Any = None) -> int:
    """Call the API from the page as the SPA does (session cookie, CSRF header)."""
    return page.driver.execute_async_script(
        """
        const [method, path, body, done] = arguments;
        const csrf = (document.cookie.match(/(?:^|;\\s*)csrftoken=([^;]+)/) || [])[1] || "";
        fetch(path, {method, headers: {"content-type": "application/json", "x-csrftoken": csrf},
                     body: body === null ? undefined : JSON.stringify(body)}).then((r) => done(r.status));
        """,
        method, path, body,
    )


def test_sign_in_see_runs_make_and_revoke_a_token_and_sign_out(auth_page: Page, admin_api: httpx.Client, auth_server: harness.OrionServer) -> None:
    page = auth_page
    flow = data.flow(admin_api, "auth-ui-flow")
    data.flow_run(admin_api, flow["id"], "auth-ui-run", "COMPLETED")
    sign_in(page, "olga", "/flow-runs")
    page.wait_text("auth-ui-run")
    assert "olga (operator)" in page.text("#nav")
    page.screenshot("auth-runs")

    page.click_text("Tokens", "#nav a")
    page.wait_text("cli", "table")  # the token `orion_token create` made for her
    from selenium.webdriver.common.by import By

    page.driver.find_element(By.CSS_SELECTOR, "input[name=name]").send_keys("browser-made")
    page.click_text("Create token")
    secret = page.wait_for(lambda: page.text("#new-token"), "the new token").strip()
    assert secret.startswith("orion_")
    row = page.wait_for(lambda: next((r for r in page.find_all("table tbody tr") if "browser-made" in r.text), None), "the new token's row")
    assert "active" in row.text and secret not in page.text("table")
    hello = httpx.get(f"{auth_server.api_url}/hello", headers={"Authorization": f"Bearer {secret}"})
    assert hello.status_code == 200
    page.screenshot("auth-tokens")

    row.find_element(By.XPATH, ".//button[text()='Revoke']").click()
    page.wait_for(lambda: "revoked" in next(r.text for r in page.find_all("table tbody tr") if "browser-made" in r.text), "the token revoked")
    assert httpx.get(f"{auth_server.api_url}/hello", headers={"Authorization": f"Bearer {secret}"}).status_code == 401

    page.click_text("Sign out")
    page.wait_for(lambda: "/login/" in page.driver.current_url, "the sign-in page after signing out")
    assert fetch_status(page, "GET", "/api/me/") == 401


def test_a_viewer_sees_no_buttons_that_change_things_and_is_refused_anyway(auth_page: Page, admin_api: httpx.Client) -> None:
    page = auth_page
    flow = data.flow(admin_api, "viewer-flow")
    run = data.flow_run(admin_api, flow["id"], "viewer-run", "RUNNING")
    deployment = admin_api.post("/deployments/", json={"name": "viewer-dep", "flow_id": flow["id"]}).json()

    sign_in(page, "vic", f"/flow-runs/flow-run/{run['id']}")
    page.wait_text("viewer-run")
    page.wait_for(lambda: not page.find_all("#main .loading"), "the run page to load")
    labels = {button.text.strip() for button in page.find_all("#main button")}
    assert not labels & {"Cancel", "Delete", "Retry", "Resume", "Run now"}, labels
    page.screenshot("auth-viewer-run")

    page.open("/deployments")
    page.wait_text("viewer-dep")
    assert not [b for b in page.find_all("#main button") if b.text.strip() in ("Run now", "Pause schedule", "Resume schedule")]

    cancel = {"state": {"type": "CANCELLING", "name": "Cancelling"}}
    assert fetch_status(page, "POST", f"/api/flow_runs/{run['id']}/set_state", cancel) == 403
    assert fetch_status(page, "DELETE", f"/api/flow_runs/{run['id']}") == 403
    assert fetch_status(page, "POST", f"/api/deployments/{deployment['id']}/create_flow_run", {}) == 403
    assert admin_api.get(f"/flow_runs/{run['id']}").json()["state_type"] == "RUNNING"
