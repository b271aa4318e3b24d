"""The run graph and the logs of the flow-run page: dependencies from task_inputs drawn on
a canvas, subflows expanded in place, zoom and fit; tracebacks expandable; logs downloaded."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from tests.ui import data
from tests.ui.conftest import Page


def task_with_inputs(api: httpx.Client, run_id: str, name: str, upstream: list[str]) -> dict[str, Any]:
    """A completed task run that consumed the results of ``upstream`` task runs."""
    created = api.post("/task_runs/", json={
        "flow_run_id": run_id, "task_key": name, "dynamic_key": "0", "name": name, "state": data.state("RUNNING"),
        "task_inputs": {"x": [{"input_type": "task_run", "id": up} for up in upstream]},
    }).json()
    api.post(f"/task_runs/{created['id']}/set_state", json={"state": data.state("COMPLETED"), "force": True})
    return created


def test_the_graph_draws_dependencies_and_expands_a_subflow(page: Page, api: httpx.Client) -> None:
    flow = data.flow(api, "graph-flow")
    run = data.flow_run(api, flow["id"], "graph-run", "RUNNING")
    first = data.task_run(api, run["id"], "extract")
    task_with_inputs(api, run["id"], "transform", [first["id"]])
    placeholder = data.task_run(api, run["id"], "child-flow", "RUNNING")
    child = data.flow_run(api, flow["id"], "graph-child", "RUNNING", parent_task_run_id=placeholder["id"])
    data.task_run(api, child["id"], "inner-1")
    data.task_run(api, child["id"], "inner-2")
    edges = api.get(f"/flow_runs/{run['id']}/graph").json()
    assert any(node["upstream_dependencies"] for node in edges)

    page.open(f"/flow-runs/flow-run/{run['id']}")
    graph = page.wait_for(lambda: next(iter(page.find_all(".run-graph[data-nodes='3']")), None), "the graph with the run's 3 task runs")
    assert graph.get_attribute("data-drawn") == "3"
    assert "3 task runs" in page.text(".run-graph-tools")
    page.click_text("Expand graph-child", ".run-graph-subflows button")
    page.wait_for(lambda: page.find_all(".run-graph[data-nodes='5']"), "the subflow's 2 task runs added")
    page.click_text("+", ".run-graph-tools button")
    page.click_text("Fit", ".run-graph-tools button")
    page.wait_for(lambda: graph.get_attribute("data-drawn") == "5", "all 5 drawn after Fit")
    page.click_text("Collapse graph-child", ".run-graph-subflows button")
    page.wait_for(lambda: page.find_all(".run-graph[data-nodes='3']"), "the subflow collapsed")
    # Something was painted: the canvas is not blank.
    painted = page.driver.execute_script(
        "const c = document.querySelector('.run-graph-canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n;"
    )
    assert painted > 100
    page.screenshot("run-graph")


def test_a_traceback_expands_and_the_logs_download_as_text(page: Page, api: httpx.Client) -> None:
    flow = data.flow(api, "log-flow")
    run = data.flow_run(api, flow["id"], "log-run", "FAILED")
    traceback = "Task failed\nTraceback (most recent call last):\n  File \"flow.py\", line 3, in task\nValueError: deep-in-the-stack"
    data.logs(api, run["id"], [("INFO", "starting up"), ("ERROR", traceback), ("DEBUG", "quiet detail")])

    page.open(f"/flow-runs/flow-run/{run['id']}")
    page.wait_text("starting up")
    assert "deep-in-the-stack" not in page.text("#main")
    page.click_text("+3 lines", ".logs button")
    page.wait_text("ValueError: deep-in-the-stack", "dialog")
    page.click_text("Cancel", "dialog button")

    # The level filter still applies, and the download holds what is shown, in full.
    page.driver.execute_script(
        "const s = document.querySelector('select[aria-label=\"Log level\"]'); s.value = '20'; s.dispatchEvent(new Event('change'));"
    )
    page.wait_for(lambda: "quiet detail" not in page.text(".logs"), "debug lines hidden at Info and up")
    page.driver.execute_script(
        # Catch the file instead of saving it: keep the blob's text and the link's file name.
        "window.__downloads = []; window.__names = [];"
        "URL.createObjectURL = (blob) => { blob.text().then((t) => window.__downloads.push(btoa(t))); return 'about:blank'; };"
        "HTMLAnchorElement.prototype.click = function () { window.__names.push(this.download); };"
    )
    page.click_text("Download logs", "button")
    text = base64.b64decode(page.wait_for(lambda: page.driver.execute_script("return window.__downloads[0]"), "the downloaded text")).decode()
    assert "starting up" in text and "ValueError: deep-in-the-stack" in text and "quiet detail" not in text
    assert "ERROR" in text and text.count("\n") >= 5
    assert page.driver.execute_script("return window.__names") == ["log-run-logs.txt"]
