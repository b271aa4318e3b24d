"""The UI in a browser, through nginx at ``/prefect``, with no ``PREFECT_UI_API_URL``.

The page finds the API next to itself (``/prefect/api``), its live feed connects through
the proxy's websocket upgrade, in-app links and deep links keep the prefix, and a change
made through the API shows on the open page without a reload.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.compat import harness
from tests.proxy.nginx import PREFIX, Proxy, missing_nginx, reverse_proxy
from tests.ui import data
from tests.ui.conftest import Page, checked_client, watched_page

pytestmark = pytest.mark.skipif(missing_nginx() is not None, reason=missing_nginx() or "")


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """A live server with ``ORION_URL_PREFIX=/prefect`` behind nginx (UI settings untouched)."""
    server = harness.start_server(
        tmp_path_factory.mktemp("ui-prefix"), services=False, env_extra={"ORION_URL_PREFIX": PREFIX}
    )
    try:
        with reverse_proxy(urlsplit(server.url).port) as running:
            yield running
    finally:
        server.stop()


@pytest.fixture
def prefixed_page(browser_driver: Any, proxy: Proxy) -> Iterator[Page]:
    """The browser on the proxied UI; the test fails if the page logged a console error."""
    yield from watched_page(browser_driver, proxy.url)


@pytest.fixture
def prefixed_api(proxy: Proxy) -> Iterator[httpx.Client]:
    """The API through the proxy (raises on error answers)."""
    with checked_client(f"{proxy.url}/api") as client:
        yield client


def test_the_ui_works_behind_a_proxy_prefix(prefixed_page: Page, prefixed_api: httpx.Client, proxy: Proxy) -> None:
    page = prefixed_page
    flow = data.flow(prefixed_api, "behind-proxy")
    run = data.flow_run(prefixed_api, flow["id"], "proxied-run", "RUNNING")

    page.open("/flow-runs")
    page.wait_text("proxied-run")
    calls = page.api_calls()
    assert calls and all(call.startswith(f"{proxy.url}/api/") for call in calls), calls

    # An in-app link keeps the prefix; the run page's live feed connects through nginx.
    page.click_text("proxied-run", "table.runs a")
    page.wait_text("proxied-run", ".page-header")
    assert page.driver.current_url == f"{proxy.url}/flow-runs/flow-run/{run['id']}"
    page.wait_for(
        lambda: "live" in page.text(".live-status") and "offline" not in page.text(".live-status"), "the live connection"
    )
    admin = page.driver.find_element("css selector", "a.admin-link").get_attribute("href")
    assert admin == f"{proxy.url}/admin/api/flowrun/{run['id']}/change/"

    page.driver.execute_script("window.__same_document = true")
    data.set_flow_run_state(prefixed_api, run["id"], "COMPLETED")
    page.wait_for(lambda: "Completed" in page.text(".page-header"), "the new state, pushed live", timeout=5)
    assert page.driver.execute_script("return window.__same_document === true"), "the page was reloaded"

    # A deep link under the prefix survives a reload.
    page.driver.refresh()
    page.wait_text("proxied-run", ".page-header")
    page.screenshot("url-prefix-flow-run")
