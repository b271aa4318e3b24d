#!/usr/bin/env python
"""UI scale benchmark: how long the UI's heavy pages take over a large database.

    .venv/bin/python bench/ui_scale.py [--task-runs 5000] [--logs 50000] [--flow-runs 100000] [--repeat 3]

Starts this server under daphne on a free loopback port with a temporary PREFECT_HOME
(SQLite), or, when ``DATABASE_URL`` names a PostgreSQL server, with a fresh database
there (dropped at the end). Fills it with one flow run holding ``--task-runs`` task runs
and ``--logs`` log lines, plus ``--flow-runs`` runs over the last 30 days, then drives
headless Chromium with Selenium and prints, per page, the seconds until what a person
waits for is on screen, and the number of API calls the page made.

Timings are reported, never judged: the exit status is non-zero only when a page does
not show what it should (a wrong total, a row that never appears, a console error).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402 - after the path set-up, like the modules below

from tests.compat import harness  # noqa: E402
from tests.ui import data  # noqa: E402
from tests.ui.conftest import Page, missing_browser, start_chromium  # noqa: E402

# Generous: a page slower than this is broken, not slow.
PAGE_DEADLINE = 120.0
LOG_BATCH = 5000


class Failure(Exception):
    """A page did not show what it should."""


@dataclass
class Measure:
    """The timings of one step over the rounds, and the API calls of its last round."""

    name: str
    seconds: list[float] = field(default_factory=list)
    api_calls: int | None = None


def timed(action: Callable[[], Any]) -> float:
    """Seconds ``action`` took."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def fill(server: harness.OrionServer, task_runs: int, logs: int, flow_runs: int) -> dict[str, Any]:
    """Make the load: the big run through the API, the bulk rows with tests/ui/fill_scale.py,
    the log lines through the API in batches (as clients send them)."""
    with httpx.Client(base_url=server.api_url, timeout=300) as api:
        run = data.big_run(server, api, task_runs, flow_runs, timeout=1800)
        for first in range(0, logs, LOG_BATCH):
            lines = [("INFO" if n % 50 else "ERROR", f"log line {n:05d}") for n in range(first, min(first + LOG_BATCH, logs))]
            data.logs(api, run["id"], lines, start_offset=first / 1000)
    return run


def scroll(page: Page, css: str, fraction: float) -> None:
    """Scroll the list ``css`` to ``fraction`` of its height."""
    page.driver.execute_script(
        "const el = document.querySelector(arguments[0]); el.scrollTop = (el.scrollHeight - el.clientHeight) * arguments[1]",
        css, fraction,
    )


def wait(page: Page, condition: Callable[[], Any], what: str) -> None:
    """Wait for ``condition`` (polling), as a Failure if it never holds."""
    try:
        page.wait_for(condition, what, timeout=PAGE_DEADLINE)
    except AssertionError as error:
        raise Failure(str(error)) from None


def check(condition: bool, what: str) -> None:
    """Raise a Failure saying ``what`` did not hold."""
    if not condition:
        raise Failure(what)


def run_page_round(page: Page, run_id: str, task_runs: int, logs: int, results: dict[str, Measure]) -> None:
    """The run page: first rows, jumps within the task runs, the next page of logs."""
    page.open("/about")
    wait(page, lambda: "Server version" in page.text("#main"), "the about page")

    def first_rows() -> None:
        page.open(f"/flow-runs/flow-run/{run_id}")
        wait(page, lambda: "task-00000" in page.text(".timeline"), "the first task row")
        wait(page, lambda: "log line 00000" in page.text(".logs"), "the first log line")

    results["run_first"].seconds.append(timed(first_rows))
    results["run_first"].api_calls = len(page.api_calls())
    check(f"{task_runs:,} rows" in page.text(".timeline + .vlist-status"), f"the task list counts {task_runs:,} rows")

    def to_middle() -> None:
        scroll(page, ".timeline", 0.5)
        # The row just below the new top edge: its name says the right page is shown.
        index = page.driver.execute_script(
            "const el = document.querySelector('.timeline');"
            "return Math.floor(el.scrollTop / parseFloat(el.querySelector('.vlist-row').style.height)) + 1"
        )
        wait(page, lambda: f"task-{index:05d}" in page.text(".timeline"), f"task row {index} in the middle of the list")

    def to_end() -> None:
        scroll(page, ".timeline", 1.0)
        wait(page, lambda: f"task-{task_runs - 1:05d}" in page.text(".timeline"), "the last task row")

    results["run_middle"].seconds.append(timed(to_middle))
    results["run_end"].seconds.append(timed(to_end))
    check(len(page.find_all(".timeline .vlist-row")) < 100, "the task list keeps only the rows in view")

    def graph_drawn() -> None:
        wait(page, lambda: page.find_all(f".run-graph[data-nodes='{task_runs}']"), f"the graph of {task_runs:,} task runs")

    results["graph_drawn"].seconds.append(timed(graph_drawn))
    check(int(page.find_all(".run-graph")[0].get_attribute("data-drawn")) < task_runs or task_runs < 20, "the graph draws only the task runs in view")
    zoom_seconds = page.driver.execute_script(
        "const b = [...document.querySelectorAll('.run-graph-tools button')];"
        "const click = (t) => b.find((x) => x.textContent === t).click();"
        "const t0 = performance.now(); for (let i = 0; i < 10; i++) click('+'); click('Fit'); return (performance.now() - t0) / 1000;"
    )
    results["graph_zoom"].seconds.append(zoom_seconds)

    if logs > 200:
        def next_log_page() -> None:
            scroll(page, ".logs", 1.0)
            wait(page, lambda: "log line 00200" in page.text(".logs"), "the second page of log lines")

        results["logs_next"].seconds.append(timed(next_log_page))
        check(len(page.find_all(".logs .vlist-row")) < 100, "the log list keeps only the rows in view")


def runs_list_round(page: Page, total: int, results: dict[str, Measure]) -> None:
    """The runs list: its first page (app already cached), then the next page."""
    page.open("/about")
    wait(page, lambda: "Server version" in page.text("#main"), "the about page")

    def first_page() -> None:
        page.open("/flow-runs")
        wait(page, lambda: page.find_all("table.runs tbody tr") and "total" in page.text(".pager"), "the first page of runs")

    results["runs_first"].seconds.append(timed(first_page))
    results["runs_first"].api_calls = len(page.api_calls())
    check(f"{total:,} total" in page.text(".pager"), f"the runs list counts {total:,} runs ({page.text('.pager')!r})")

    def next_page() -> None:
        page.click_text("Next ›", ".pager button")
        wait(page, lambda: "Page 2 of" in page.text(".pager") and page.find_all("table.runs tbody tr"), "the second page of runs")

    results["runs_next"].seconds.append(timed(next_page))


def dashboard_round(page: Page, total: int, results: dict[str, Measure]) -> None:
    """The dashboard over 30 days (its cost is the run history query)."""
    page.open("/about")
    wait(page, lambda: "Server version" in page.text("#main"), "the about page")

    def dashboard() -> None:
        page.open("/?window=30d")
        wait(page, lambda: page.find_all("svg.chart rect") and not page.find_all("#main .loading"), "the dashboard")

    results["dashboard"].seconds.append(timed(dashboard))
    results["dashboard"].api_calls = len(page.api_calls())
    check(f"{total:,}" in page.text(".cards"), f"the dashboard counts {total:,} runs")


def api_round(server: harness.OrionServer, total: int, results: dict[str, Measure]) -> None:
    """The history query alone, at the dashboard's 48 intervals and at the 500 maximum."""
    end = time.time()
    start = end - 30 * 86400
    with httpx.Client(base_url=server.api_url, timeout=PAGE_DEADLINE) as api:
        for key, buckets in (("history_48", 48), ("history_500", 500)):
            body = {
                "history_start": data.now(start - end), "history_end": data.now(0),
                "history_interval_seconds": (end - start) / buckets,
            }
            response: list[httpx.Response] = []
            results[key].seconds.append(timed(lambda: response.append(api.post("/flow_runs/history", json=body))))
            check(response[0].status_code == 200, f"/flow_runs/history answered {response[0].status_code}")
            counted = sum(state["count_runs"] for bucket in response[0].json() for state in bucket["states"])
            check(counted == total, f"/flow_runs/history counted {counted:,} runs, not {total:,}")


def report(results: dict[str, Measure], header: str) -> None:
    """Print the table of timings."""
    print(f"\n{header}\n")
    print(f"{'step':<66} {'n':>2} {'min s':>7} {'median s':>9} {'max s':>7} {'API calls':>10}")
    for measure in results.values():
        if not measure.seconds:
            continue
        calls = "" if measure.api_calls is None else str(measure.api_calls)
        print(
            f"{measure.name:<66} {len(measure.seconds):>2} {min(measure.seconds):>7.3f} "
            f"{statistics.median(measure.seconds):>9.3f} {max(measure.seconds):>7.3f} {calls:>10}"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 if every page worked, 1 on a functional failure, 2 if it cannot run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task-runs", type=int, default=5000, help="task runs of the big flow run")
    parser.add_argument("--logs", type=int, default=50000, help="log lines of the big flow run")
    parser.add_argument("--flow-runs", type=int, default=100000, help="other flow runs, over the last 30 days")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per page")
    args = parser.parse_args(argv)
    problem = missing_browser()
    if problem:
        print(problem, file=sys.stderr)
        return 2

    total = args.flow_runs + 1
    results = {key: Measure(name) for key, name in (
        ("run_first", f"run page: first task row and log line ({args.task_runs:,} tasks, {args.logs:,} logs)"),
        ("run_middle", "run page: task list scrolled to the middle, rows shown"),
        ("run_end", "run page: task list scrolled to the end, last row shown"),
        ("logs_next", "run page: logs scrolled to the bottom, next page shown"),
        ("graph_drawn", f"run page: run graph drawn ({args.task_runs:,} task runs)"),
        ("graph_zoom", "run graph: 10 zoom steps and a fit, redrawn"),
        ("runs_first", f"runs list: first page of {total:,} runs"),
        ("runs_next", "runs list: next page"),
        ("dashboard", f"dashboard: last 30 days of {total:,} runs"),
        ("history_48", "API /flow_runs/history, 30 days in 48 intervals"),
        ("history_500", "API /flow_runs/history, 30 days in 500 intervals"),
    )}
    with tempfile.TemporaryDirectory(prefix="orion-ui-scale-") as workdir:
        server = harness.start_server(Path(workdir), services=False, env_extra={"PREFECT_UI_API_URL": "/api"})
        database = "PostgreSQL" if harness.is_postgres_url(server.db_url) else "SQLite"
        driver = None
        try:
            print(f"server pid {server.pid} at {server.url} on {database}; filling...", flush=True)
            started = time.perf_counter()
            run = fill(server, args.task_runs, args.logs, args.flow_runs)
            print(f"filled in {time.perf_counter() - started:.1f} s", flush=True)
            driver = start_chromium(Path(workdir) / "chromium-profile")
            page = Page(driver, server.url)
            for _ in range(args.repeat):
                run_page_round(page, run["id"], args.task_runs, args.logs, results)
                runs_list_round(page, total, results)
                dashboard_round(page, total, results)
                api_round(server, total, results)
                errors = page.console_errors()
                check(not errors, f"the pages logged console errors: {errors}")
        except Failure as failure:
            report(results, f"UI scale benchmark on {database} (incomplete)")
            print(f"\nFAILED: {failure}", file=sys.stderr)
            return 1
        finally:
            if driver is not None:
                driver.quit()
            server.stop()
    report(results, f"UI scale benchmark on {database}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
