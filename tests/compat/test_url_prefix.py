"""The real ``prefect==2.8.7`` client and CLI with ``PREFECT_API_URL=http://127.0.0.1:PORT/prefect/api``.

The server runs with ``ORION_URL_PREFIX=/prefect``; the client reaches it through nginx
(``PORT`` is the proxy's) and directly (``PORT`` is daphne's). A flow with tasks and logs
runs to completion, and what the server keeps is read back through the same prefix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.compat import harness
from tests.proxy.nginx import PREFIX, missing_nginx, reverse_proxy

FLOW_SCRIPT = """
import json
from prefect import flow, get_run_logger, task
from prefect.client.orchestration import get_client
from prefect.server.schemas.filters import FlowRunFilter, LogFilter
import asyncio


@task
def double(x):
    get_run_logger().info("doubling %s", x)
    return 2 * x


@flow(name="prefixed-flow")
def prefixed(n: int = 3):
    return sum(double(i) for i in range(n))


async def read_back(flow_run_id):
    async with get_client() as client:
        run = await client.read_flow_run(flow_run_id)
        tasks = await client.read_task_runs(flow_run_filter=FlowRunFilter(id={"any_": [flow_run_id]}))
        logs = await client.read_logs(LogFilter(flow_run_id={"any_": [flow_run_id]}))
        return {
            "state": run.state.type.value,
            "tasks": sorted(t.state.type.value for t in tasks),
            "logs": [log.message for log in logs],
            "api_url": client.api_url.path,
        }


state = prefixed(return_state=True)
found = asyncio.run(read_back(state.state_details.flow_run_id))
found["result"] = state.result()
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def prefixed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.OrionServer]:
    """A live server with ``ORION_URL_PREFIX=/prefect`` (services on, short loops)."""
    server = harness.start_server(tmp_path_factory.mktemp("compat-prefix"), env_extra={"ORION_URL_PREFIX": PREFIX})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["through-nginx", "direct"])
def api_url(request: pytest.FixtureRequest, prefixed_server: harness.OrionServer) -> Iterator[str]:
    """``http://127.0.0.1:PORT/prefect/api``, through nginx or straight to daphne."""
    if request.param == "direct":
        yield f"{prefixed_server.url}{PREFIX}/api"
        return
    problem = missing_nginx()
    if problem:
        pytest.skip(problem)
    with reverse_proxy(urlsplit(prefixed_server.url).port) as proxy:
        yield f"{proxy.url}/api"


def test_a_flow_runs_against_a_prefixed_api(prefect_venv: Path, api_url: str, tmp_path: Path) -> None:
    result = harness.run_client(prefect_venv, api_url, FLOW_SCRIPT, workdir=tmp_path / "client")
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["state"] == "COMPLETED"
    assert found["tasks"] == ["COMPLETED"] * 3
    assert found["result"] == 6
    assert sum("doubling" in message for message in found["logs"]) == 3
    assert found["api_url"] == f"{PREFIX}/api/"

    listed = harness.run_cli(prefect_venv, api_url, "flow-run ls", workdir=tmp_path / "cli")
    assert "prefixed-flow" in listed.stdout, harness.format_process(listed)
