"""Fixtures for the browser tests: a live server (``tests.compat.harness``), headless
Chromium driven by Selenium, and an API client to make data with.

Without Chromium and its driver (``tests/ui/install_browser.sh`` installs them) every
browser test is skipped, saying so.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.compat import harness

UI_DIR = Path(__file__).resolve().parent
SCREENSHOTS = UI_DIR.parent / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,800",
)
WAIT_SECONDS = 10.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that drives the browser as ``browser`` (``-m "not browser"`` skips them).

    This hook sees the whole session's items: only tests using the browser fixture count.
    """
    for item in items:
        if "browser_driver" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        return "Chromium and chromium-driver are not installed: run tests/ui/install_browser.sh as root"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install -r requirements.txt"
    return None


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.OrionServer]:
    """A live server with the UI, its services off so nothing changes data behind a test.

    The UI is told to find the API at ``/api`` on its own origin.
    """
    with browser_server(tmp_path_factory.mktemp("ui-server"), {"PREFECT_UI_API_URL": "/api"}) as server:
        yield server


@contextlib.contextmanager
def browser_server(workdir: Path, env_extra: Mapping[str, str]) -> Iterator[harness.OrionServer]:
    """A live server (services off) for browser tests; skips the test when there is no browser."""
    problem = missing_browser()
    if problem:
        pytest.skip(problem)
    server = harness.start_server(workdir, services=False, env_extra=env_extra)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def checked_client(base_url: str) -> Iterator[httpx.Client]:
    """An HTTP client for ``base_url`` that raises on error answers, naming the request."""

    def check(response: httpx.Response) -> None:
        if response.is_error:
            response.read()
            raise AssertionError(f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text[:500]}")

    with httpx.Client(base_url=base_url, timeout=30, event_hooks={"response": [check]}) as client:
        yield client


@pytest.fixture(scope="session")
def api(ui_server: harness.OrionServer) -> Iterator[httpx.Client]:
    """An HTTP client for the live server's API (raises on error answers)."""
    with checked_client(ui_server.api_url) as client:
        yield client


class Page:
    """The browser, with waits and checks phrased as what a person sees."""

    def __init__(self, driver: Any, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    def open(self, path: str) -> None:
        """Load ``path`` (a full page load, as typing the address would)."""
        self.driver.get(self.base_url + path)

    def wait_for(self, condition: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
        """Poll ``condition`` until it returns something truthy; fail naming ``what``."""
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            try:
                result = condition()
            except Exception as exc:  # noqa: BLE001 - elements come and go while the page renders
                last_error = exc
                result = None
            if result:
                return result
            time.sleep(0.1)
        raise AssertionError(f"Timed out after {timeout} s waiting for {what} (last error: {last_error!r})\nPage text:\n{self.text()[:3000]}")

    def text(self, css: str = "body") -> str:
        """The visible text of the first element matching ``css``."""
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css).text

    def find_all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_text(self, text: str, css: str = "#main", timeout: float = WAIT_SECONDS) -> None:
        """Wait until ``text`` is visible inside ``css``."""
        self.wait_for(lambda: text in self.text(css), f"{text!r} in {css}", timeout)

    def click_text(self, text: str, css: str = "button") -> None:
        """Click the first ``css`` element whose visible text is ``text``."""
        element = self.wait_for(
            lambda: next((e for e in self.find_all(css) if e.text.strip() == text), None), f"{css} {text!r}"
        )
        element.click()

    def console_errors(self) -> list[str]:
        """Errors the page logged to the console since the last call."""
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]

    def api_calls(self) -> list[str]:
        """The /api requests made since the current document loaded."""
        return self.driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/api/'))"
        )

    def screenshot(self, name: str) -> Path:
        """Save a PNG of the window into tests/screenshots/."""
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


@pytest.fixture(scope="session")
def browser_driver(ui_server: harness.OrionServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium for the session, with a fresh profile."""
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


def start_chromium(profile: Path) -> Any:
    """Headless Chromium (Selenium) with a fresh profile and a 1280x800 viewport."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    # The viewport itself is 1280x800 (the window size would include browser chrome).
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}
    )
    return driver


def watched_page(driver: Any, base_url: str, who: str = "the page") -> Iterator[Page]:
    """The browser on ``base_url`` for one test (a fixture body); fails the test if ``who``
    logged a console error."""
    page = Page(driver, base_url)
    # Leave whatever page an earlier test left open (its server may be gone by now), then
    # drop what it logged.
    driver.get("about:blank")
    page.console_errors()
    yield page
    errors = page.console_errors()
    # Before a module's server stops under the page.
    driver.get("about:blank")
    assert not errors, f"{who} logged console errors: {errors}"


@pytest.fixture
def page(browser_driver: Any, ui_server: harness.OrionServer) -> Iterator[Page]:
    """The browser for one test; the test fails if any page logged a console error."""
    yield from watched_page(browser_driver, ui_server.url)
