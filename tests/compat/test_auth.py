"""The real prefect 2.8.7 client against a server with ``ORION_AUTH_REQUIRED=true``,
configured with nothing but ``PREFECT_API_KEY`` (it sends ``Authorization: Bearer``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat import harness
from tests.compat.harness import format_process

FLOW_FILE = '''
from prefect import flow, task, get_run_logger

@task
def double(x: int) -> int:
    return 2 * x

@flow
def doubled(n: int = 3):
    get_run_logger().info("doubling %s", n)
    return sum(double(i) for i in range(n))
'''


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.OrionServer]:
    """A live server with auth required and its services on (the scheduler and friends)."""
    server = harness.start_server(tmp_path_factory.mktemp("auth-server"), services=True, env_extra={"ORION_AUTH_REQUIRED": "true"})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api_key(auth_server: harness.OrionServer) -> str:
    """An operator's token, made the way the README says (last line of stdout)."""
    result = harness.run_manage(auth_server, ["orion_token", "create", "--user", "ci-agent", "--role", "operator", "--name", "compat"])
    return result.stdout.strip().splitlines()[-1]


def last_json_line(result) -> dict:
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines, format_process(result)
    return json.loads(lines[-1])


def test_flows_blocks_and_an_agent_run_with_only_the_api_key(
    prefect_venv: Path, auth_server: harness.OrionServer, api_key: str, tmp_path: Path
) -> None:
    result = harness.run_client(
        prefect_venv,
        auth_server.api_url,
        f"""
        import asyncio, json, pathlib
        pathlib.Path("auth_flows.py").write_text({FLOW_FILE!r})
        from auth_flows import doubled
        from prefect.agent import PrefectAgent
        from prefect.blocks.system import Secret
        from prefect.client.orchestration import get_client
        from prefect.deployments import Deployment

        direct = doubled(4)
        Secret(value="s3cr3t").save("auth-secret", overwrite=True)
        loaded = Secret.load("auth-secret").get()

        async def main():
            deployment = await Deployment.build_from_flow(doubled, name="auth-run", work_queue_name="auth-q")
            deployment_id = await deployment.apply()
            async with get_client() as client:
                run = await client.create_flow_run_from_deployment(deployment_id)
                async with PrefectAgent(work_queues=["auth-q"], prefetch_seconds=5) as agent:
                    submitted = await agent.get_and_submit_flow_runs()
                run = await client.read_flow_run(run.id)
                tasks = await client.read_task_runs()
                return {{"submitted": [str(r.id) for r in submitted], "run": str(run.id), "state": run.state.type.value,
                         "task_runs": len(tasks)}}

        found = asyncio.run(main())
        print(json.dumps({{"direct": direct, "secret": loaded, **found}}))
        """,
        workdir=tmp_path,
        env_extra={"PREFECT_API_KEY": api_key},
        timeout=240,
    )
    found = last_json_line(result)
    assert (found["direct"], found["secret"]) == (12, "s3cr3t"), format_process(result)
    assert found["submitted"] == [found["run"]], format_process(result)
    assert found["state"] == "COMPLETED", format_process(result)
    assert found["task_runs"] >= 4 + 3, format_process(result)


@pytest.mark.parametrize(
    "listing", ["deployment ls", "flow-run ls", "block ls", "work-queue ls", "concurrency-limit ls", "work-pool ls"]
)
def test_cli_listings_work_with_the_api_key(
    prefect_venv: Path, auth_server: harness.OrionServer, api_key: str, tmp_path: Path, listing: str
) -> None:
    result = harness.run_cli(prefect_venv, auth_server.api_url, listing, workdir=tmp_path, env_extra={"PREFECT_API_KEY": api_key})
    assert result.returncode == 0, format_process(result)


def test_a_wrong_key_fails_with_401(prefect_venv: Path, auth_server: harness.OrionServer, tmp_path: Path) -> None:
    result = harness.run_client(
        prefect_venv,
        auth_server.api_url,
        """
        import asyncio
        from prefect.client.orchestration import get_client

        async def main():
            async with get_client() as client:
                await client.create_flow_from_name("never")

        asyncio.run(main())
        """,
        workdir=tmp_path,
        env_extra={"PREFECT_API_KEY": "orion_not-a-real-key"},
        check=False,
    )
    assert result.returncode != 0, format_process(result)
    assert "401" in result.stderr, format_process(result)
    no_key = harness.run_cli(prefect_venv, auth_server.api_url, "deployment ls", workdir=tmp_path / "cli", check=False)
    assert no_key.returncode != 0, format_process(no_key)
