"""Live updates in the page: pushed while the websocket is up, polled every 10 s only
while it is down."""

from __future__ import annotations

from tests.compat import harness
from tests.ui.conftest import Page

# Runs in the page: builds a Live on ``url`` with timers recorded, waits, reports.
PROBE = """
const [url, done] = [arguments[0], arguments[arguments.length - 1]];
const intervals = [];
const realSetInterval = window.setInterval;
window.setInterval = (fn, ms) => { intervals.push(ms); return realSetInterval(fn, ms); };
const { Live } = await import(new URL("js/live.js", document.baseURI));
const live = new Live(url);
live.subscribe("flow_runs", () => {});
setTimeout(() => {
  window.setInterval = realSetInterval;
  done({ connected: live.connected, failures: live.failures, intervals });
}, 1500);
"""


def run_probe(page: Page, url: str) -> dict:
    page.open("/about")
    page.wait_text("Server version")
    return page.driver.execute_async_script(f"(async () => {{ {PROBE} }})()", url)


def test_no_polling_while_the_websocket_is_up(page: Page) -> None:
    live_url = page.base_url.replace("http://", "ws://") + "/api/live"
    result = run_probe(page, live_url)
    assert result == {"connected": True, "failures": 0, "intervals": []}


def test_polling_every_10_seconds_while_the_websocket_is_down(page: Page) -> None:
    result = run_probe(page, f"ws://127.0.0.1:{harness.free_port()}/api/live")  # nothing listens there
    assert result["connected"] is False and result["failures"] >= 1
    assert result["intervals"] == [10000], "one 10 s poll timer, however often reconnecting fails"
    # The browser logs each refused connection itself: leave the page, then drop those.
    page.driver.get("about:blank")
    errors = page.console_errors()
    assert all("ERR_CONNECTION_REFUSED" in error for error in errors), errors
