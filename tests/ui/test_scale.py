"""Scale behaviour of the UI, without timing (timings live in ``bench/ui_scale.py``).

A run with more task runs and log lines than one page of its lists, and more flow runs
than one page of the runs list: the run page keeps only the rows in view in the DOM and
fetches further rows as they scroll into view, the runs list pages, and no page asks
the API more than a handful of questions whatever the amount of data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.ui import data
from tests.ui.conftest import Page, browser_server, watched_page

# Above one page of the run page's lists (200 rows) and of the runs list (50 rows).
TASK_RUNS = 300
LOG_LINES = 2000
FLOW_RUNS = 120
# The lists show ~20 rows in their viewport plus a margin either side.
MAX_ROWS_IN_DOM = 80
MAX_API_CALLS = 10


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server of its own holding the load (other tests count the runs of theirs)."""
    with browser_server(tmp_path_factory.mktemp("scale-server"), {"PREFECT_UI_API_URL": "/api"}) as server:
        with httpx.Client(base_url=server.api_url, timeout=60) as api:
            run = data.big_run(server, api, TASK_RUNS, FLOW_RUNS, timeout=120)
            data.logs(api, run["id"], [("INFO", f"log line {n:05d}") for n in range(LOG_LINES)])
        yield {"server": server, "run": run}


@pytest.fixture
def scale_page(browser_driver: Any, loaded: dict[str, Any]) -> Iterator[Page]:
    """The browser pointed at the loaded server; no console errors allowed."""
    yield from watched_page(browser_driver, loaded["server"].url)


def rows_in_dom(page: Page, css: str) -> int:
    """How many elements match ``css`` in the document."""
    return int(page.driver.execute_script("return document.querySelectorAll(arguments[0]).length", css))


def scroll(page: Page, css: str, fraction: float) -> None:
    """Scroll the list ``css`` to ``fraction`` of its height (1.0 = the bottom)."""
    page.driver.execute_script(
        "const el = document.querySelector(arguments[0]); el.scrollTop = (el.scrollHeight - el.clientHeight) * arguments[1]",
        css, fraction,
    )


def test_the_run_page_keeps_only_the_task_rows_in_view_in_the_page(scale_page: Page, loaded: dict[str, Any]) -> None:
    page = scale_page
    page.open(f"/flow-runs/flow-run/{loaded['run']['id']}")
    page.wait_text("task-00000", ".timeline")
    page.wait_text("log line 00000", ".logs")
    assert f"{TASK_RUNS:,} rows" in page.text(".timeline + .vlist-status")
    assert rows_in_dom(page, ".timeline .vlist-row") < MAX_ROWS_IN_DOM
    assert len(page.api_calls()) <= MAX_API_CALLS

    # The last task rows live on the second page of the list: scrolling there fetches and
    # shows them, and the first rows leave the DOM.
    scroll(page, ".timeline", 1.0)
    page.wait_text(f"task-{TASK_RUNS - 1:05d}", ".timeline")
    assert "task-00000" not in page.text(".timeline")
    assert rows_in_dom(page, ".timeline .vlist-row") < MAX_ROWS_IN_DOM


def test_scrolling_the_logs_loads_further_pages_and_stays_windowed(scale_page: Page, loaded: dict[str, Any]) -> None:
    page = scale_page
    page.open(f"/flow-runs/flow-run/{loaded['run']['id']}")
    page.wait_text("log line 00000", ".logs")
    status = page.text(".logs + .vlist-status")
    assert "more on scroll" in status and f"{LOG_LINES:,}" not in status

    def scrolled_to_the_last_line() -> bool:
        # Each scroll to the bottom reaches the end of what is loaded and asks for the next page.
        scroll(page, ".logs", 1.0)
        return f"log line {LOG_LINES - 1:05d}" in page.text(".logs")

    page.wait_for(scrolled_to_the_last_line, "the last log line after scrolling", timeout=30)
    page.wait_for(lambda: f"{LOG_LINES:,} rows loaded" in page.text(".logs + .vlist-status"), "every log line counted")
    assert "log line 00000" not in page.text(".logs")
    assert rows_in_dom(page, ".logs .vlist-row") < MAX_ROWS_IN_DOM


def test_the_runs_list_shows_one_page_at_a_time(scale_page: Page) -> None:
    page = scale_page
    page.open("/flow-runs")
    total = FLOW_RUNS + 1  # and the run the logs belong to
    page.wait_for(lambda: f"{total:,} total" in page.text(".pager"), "the pager")
    assert "Page 1 of 3" in page.text(".pager")
    assert len(page.find_all("table.runs tbody tr")) == 50
    assert len(page.api_calls()) <= MAX_API_CALLS
    first_page = page.text("table.runs tbody")

    page.click_text("Next ›", ".pager button")
    page.wait_for(lambda: "Page 2 of 3" in page.text(".pager"), "the second page")
    assert "offset=50" in page.driver.current_url
    page.wait_for(lambda: page.text("table.runs tbody") != first_page, "other runs on the second page")
    assert len(page.find_all("table.runs tbody tr")) == 50


def test_the_dashboard_counts_every_run_with_few_api_calls(scale_page: Page) -> None:
    page = scale_page
    page.open("/?window=30d")
    page.wait_for(lambda: page.find_all("svg.chart rect") and not page.find_all("#main .loading"), "the dashboard")
    assert f"{FLOW_RUNS + 1:,}" in page.text(".cards")
    assert len(page.api_calls()) <= MAX_API_CALLS
