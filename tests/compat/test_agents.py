"""The background services and the run-executing clients, with the real prefect 2.8.7
and 2.10.21: schedules turn into runs, overdue runs turn Late, an agent and a process
worker execute deployment runs, a notification policy reaches a webhook, and the CLI
lists it all (a fresh server lists its default agent pool and queue).

The session server runs every service with short loops (``harness.FAST_SERVICE_ENV``).
Each test uses its own queue, pool and tag names, since the server is shared.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.compat import harness
from tests.compat.harness import format_process, last_json_line

FLOW_FILE = '''
from prefect import flow, get_run_logger

@flow
def hello(name: str = "compat"):
    get_run_logger().info("hello from %s", name)
    return name
'''


def test_interval_and_cron_deployments_get_scheduled_runs(run_client) -> None:
    result = run_client(
        """
        import asyncio, datetime, json, time
        from prefect.client.orchestration import get_client
        from prefect.server.schemas.filters import DeploymentFilter, DeploymentFilterId
        from prefect.server.schemas.schedules import CronSchedule, IntervalSchedule

        async def main():
            async with get_client() as client:
                flow_id = await client.create_flow_from_name("compat-scheduled")
                ids = {
                    "interval": await client.create_deployment(
                        flow_id, "every-hour", schedule=IntervalSchedule(interval=datetime.timedelta(hours=1)),
                        work_queue_name="compat-scheduled-q"),
                    "cron": await client.create_deployment(
                        flow_id, "cron-hourly", schedule=CronSchedule(cron="0 * * * *"),
                        work_queue_name="compat-scheduled-q"),
                }
                counts = {}
                deadline = time.monotonic() + 45
                while time.monotonic() < deadline:
                    for kind, deployment_id in ids.items():
                        runs = await client.read_flow_runs(
                            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])))
                        counts[kind] = sorted({(r.state_name, r.auto_scheduled) for r in runs}), len(runs)
                    if all(n >= 3 for _, n in counts.values()):
                        break
                    await asyncio.sleep(0.5)
                print(json.dumps(counts))

        asyncio.run(main())
        """
    )
    found = last_json_line(result)
    for kind in ("interval", "cron"):
        states, count = found[kind]
        assert count >= 3, format_process(result)
        assert states == [["Scheduled", True]], format_process(result)


def test_a_run_scheduled_in_the_past_is_marked_late(run_client) -> None:
    result = run_client(
        """
        import asyncio, json, time
        import pendulum
        from prefect.client.orchestration import get_client
        from prefect.states import Scheduled

        async def main():
            async with get_client() as client:
                flow_id = await client.create_flow_from_name("compat-late")
                deployment_id = await client.create_deployment(flow_id, "late", work_queue_name="compat-late-q")
                run = await client.create_flow_run_from_deployment(
                    deployment_id, state=Scheduled(scheduled_time=pendulum.now("UTC").subtract(hours=1)))
                deadline = time.monotonic() + 45
                while time.monotonic() < deadline:
                    run = await client.read_flow_run(run.id)
                    if run.state.name == "Late":
                        break
                    await asyncio.sleep(0.5)
                print(json.dumps({"type": run.state.type.value, "name": run.state.name}))

        asyncio.run(main())
        """
    )
    assert last_json_line(result) == {"type": "SCHEDULED", "name": "Late"}, format_process(result)


def test_agent_executes_a_deployment_run_in_a_subprocess(run_client) -> None:
    result = run_client(
        f"""
        import asyncio, json, pathlib
        pathlib.Path("agent_flows.py").write_text({FLOW_FILE!r})
        from agent_flows import hello
        from prefect.agent import PrefectAgent
        from prefect.client.orchestration import get_client
        from prefect.deployments import Deployment
        from prefect.server.schemas.filters import LogFilter, LogFilterFlowRunId

        async def main():
            deployment = await Deployment.build_from_flow(
                hello, name="agent-run", work_queue_name="compat-agent-q", parameters={{"name": "agent"}})
            deployment_id = await deployment.apply()
            async with get_client() as client:
                run = await client.create_flow_run_from_deployment(deployment_id)
                async with PrefectAgent(work_queues=["compat-agent-q"], prefetch_seconds=5) as agent:
                    submitted = await agent.get_and_submit_flow_runs()
                # Leaving the agent's context waits for the subprocess to finish.
                run = await client.read_flow_run(run.id)
                logs = await client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))
                print(json.dumps({{
                    "submitted": [str(r.id) for r in submitted],
                    "run": str(run.id),
                    "state": run.state.type.value,
                    "logs": [log.message for log in logs],
                }}))

        asyncio.run(main())
        """,
        timeout=240,
    )
    found = last_json_line(result)
    assert found["submitted"] == [found["run"]], format_process(result)
    assert found["state"] == "COMPLETED", format_process(result)
    assert "hello from agent" in found["logs"], format_process(result)


def test_process_worker_syncs_heartbeats_and_runs_its_pool(run_client) -> None:
    result = run_client(
        f"""
        import asyncio, json, pathlib
        pathlib.Path("worker_flows.py").write_text({FLOW_FILE!r})
        from worker_flows import hello
        from prefect.client.orchestration import get_client
        from prefect.deployments import Deployment
        try:  # prefect 2.10 moved workers out of prefect.experimental
            from prefect.workers.process import ProcessWorker
        except ImportError:
            from prefect.experimental.workers.process import ProcessWorker

        async def main():
            async with get_client() as client:
                async with ProcessWorker(work_pool_name="compat-process-pool", name="compat-worker",
                                         prefetch_seconds=5) as worker:
                    await worker.sync_with_backend()
                    deployment = await Deployment.build_from_flow(
                        hello, name="worker-run", work_pool_name="compat-process-pool",
                        parameters={{"name": "worker"}})
                    deployment_id = await deployment.apply()
                    run = await client.create_flow_run_from_deployment(deployment_id)
                    submitted = await worker.get_and_submit_flow_runs()
                pool = await client.read_work_pool("compat-process-pool")
                workers = await client.read_workers_for_work_pool("compat-process-pool")
                run = await client.read_flow_run(run.id)
                print(json.dumps({{
                    "pool_type": pool.type,
                    "has_template": bool(pool.base_job_template),
                    "workers": [w.name for w in workers],
                    "submitted": [str(r.id) for r in submitted],
                    "run": str(run.id),
                    "state": run.state.type.value,
                }}))

        asyncio.run(main())
        """,
        timeout=240,
    )
    found = last_json_line(result)
    assert found["pool_type"] == "process" and found["has_template"], format_process(result)
    assert found["workers"] == ["compat-worker"], format_process(result)
    assert found["submitted"] == [found["run"]], format_process(result)
    assert found["state"] == "COMPLETED", format_process(result)


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local HTTP endpoint (loopback, own thread) recording the JSON bodies posted to it."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            received.append(json.loads(self.rfile.read(length) or b"null"))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/notify", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_notification_policy_posts_to_a_webhook_when_a_run_fails(run_client, webhook_receiver) -> None:
    url, received = webhook_receiver
    result = run_client(
        f"""
        import asyncio, json
        from prefect import flow, tags
        from prefect.blocks.notifications import SlackWebhook
        from prefect.client.orchestration import get_client

        @flow(name="compat-failing")
        def failing():
            raise ValueError("compat failure")

        async def setup():
            block_id = await SlackWebhook(url={url!r}).save("compat-notify", overwrite=True)
            async with get_client() as client:
                await client.create_flow_run_notification_policy(
                    block_document_id=block_id, state_names=["Failed"], tags=["compat-notify"])

        asyncio.run(setup())
        with tags("compat-notify"):
            state = failing(return_state=True)
        print(json.dumps({{"state": state.type.value}}))
        """
    )
    assert last_json_line(result) == {"state": "FAILED"}, format_process(result)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not received:
        time.sleep(0.2)
    assert len(received) == 1, received
    text = received[0]["text"]
    assert "compat-failing/" in text and "entered state `Failed`" in text
    assert "compat failure" in text


@pytest.fixture
def cancellable_run_id(run_client) -> str:
    """A scheduled flow run (of a deployment nothing polls) for the CLI to inspect and cancel."""
    result = run_client(
        """
        import asyncio, json
        import pendulum
        from prefect.client.orchestration import get_client
        from prefect.states import Scheduled

        async def main():
            async with get_client() as client:
                flow_id = await client.create_flow_from_name("compat-cli")
                deployment_id = await client.create_deployment(flow_id, "cli", work_queue_name="compat-cli-q")
                run = await client.create_flow_run_from_deployment(
                    deployment_id, state=Scheduled(scheduled_time=pendulum.now("UTC").add(days=1)))
                print(json.dumps({"id": str(run.id)}))

        asyncio.run(main())
        """
    )
    return last_json_line(result)["id"]


@pytest.mark.parametrize(
    "args",
    [
        "flow-run ls",
        "deployment ls",
        "block ls",
        "work-queue ls",
        "work-pool ls",
        "concurrency-limit ls",
        "flow ls",
    ],
)
def test_cli_listings_exit_zero(run_cli, args: str) -> None:
    result = run_cli(args)
    assert result.returncode == 0, format_process(result)


def table_rows(output: str) -> list[list[str]]:
    """The body rows of the rich table the CLI printed, as lists of cell texts."""
    return [[cell.strip() for cell in line.strip("│ ").split("│")] for line in output.splitlines() if line.startswith("│")]


def test_cli_lists_the_default_agent_pool_and_queue_of_a_fresh_server(prefect_venv, tmp_path) -> None:
    """A fresh database already holds ``default-agent-pool`` and its ``default`` queue
    (a data migration), so both listings show exactly that one row, as the original's do."""
    server = harness.start_server(tmp_path / "fresh", services=False)
    try:
        pools = harness.run_cli(prefect_venv, server.api_url, "work-pool ls", workdir=tmp_path / "cli")
        queues = harness.run_cli(prefect_venv, server.api_url, "work-queue ls", workdir=tmp_path / "cli")
    finally:
        server.stop()
    assert [row[:2] for row in table_rows(pools.stdout)] == [["default-agent-pool", "prefect-agent"]], pools.stdout
    assert [row[:2] for row in table_rows(queues.stdout)] == [["default", "default-agent-pool"]], queues.stdout


def test_cli_inspects_and_cancels_a_flow_run(run_cli, run_client, cancellable_run_id: str) -> None:
    inspected = run_cli(["flow-run", "inspect", cancellable_run_id])
    assert cancellable_run_id in inspected.stdout, format_process(inspected)

    cancelled = run_cli(["flow-run", "cancel", cancellable_run_id])
    assert cancelled.returncode == 0, format_process(cancelled)

    result = run_client(
        f"""
        import asyncio, json
        from prefect.client.orchestration import get_client

        async def main():
            async with get_client() as client:
                run = await client.read_flow_run({cancellable_run_id!r})
                print(json.dumps({{"type": run.state.type.value}}))

        asyncio.run(main())
        """
    )
    assert last_json_line(result)["type"] in ("CANCELLING", "CANCELLED"), format_process(result)
