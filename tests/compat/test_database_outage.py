"""The real ``prefect==2.8.7`` client rides out a short database outage.

The server's PostgreSQL (a private cluster) is stopped before the client starts and
started again a few seconds later. Meanwhile the server answers 503 with ``Retry-After``,
which the client's HTTP layer retries, so the client's create and read calls succeed
once the database is back instead of failing.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat import harness
from tests.db.private_postgres import PrivateCluster, missing_binaries, private_cluster

OUTAGE_SECONDS = 8.0

CLIENT_SCRIPT = """
import asyncio, json, time
from prefect.client.orchestration import get_client


async def main():
    started = time.monotonic()
    async with get_client() as client:
        flow_id = await client.create_flow_from_name("after-the-outage")
        flows = await client.read_flows()
    print(json.dumps({"flow_id": str(flow_id), "names": [f.name for f in flows], "seconds": time.monotonic() - started}))


asyncio.run(main())
"""

pytestmark = pytest.mark.skipif(missing_binaries() is not None, reason=missing_binaries() or "")


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    """A private PostgreSQL cluster the test stops and starts."""
    with private_cluster() as started:
        yield started


def test_the_client_retries_through_an_outage(prefect_venv: Path, cluster: PrivateCluster, tmp_path: Path) -> None:
    server = harness.start_server(tmp_path / "server", services=False, database_url=cluster.url)
    outcome: dict[str, subprocess.CompletedProcess[str] | BaseException] = {}

    def client() -> None:
        try:
            outcome["result"] = harness.run_client(
                prefect_venv, server.api_url, CLIENT_SCRIPT, workdir=tmp_path / "client", check=False
            )
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            outcome["result"] = exc

    try:
        cluster.stop()
        worker = threading.Thread(target=client, name="outage-client")
        worker.start()
        # Restart once the client has met the outage (its first call answered 503).
        deadline = time.monotonic() + 60
        while "Database unavailable on POST /api/flows/" not in server.log_path.read_text(errors="replace"):
            assert time.monotonic() < deadline, server.log_tail()
            assert worker.is_alive(), outcome
            time.sleep(0.2)
        threading.Event().wait(OUTAGE_SECONDS)  # the rest of the outage, not a synchronisation
        cluster.start()
        worker.join(harness.DEFAULT_CLIENT_TIMEOUT)
        log = server.log_path.read_text(errors="replace")
    finally:
        if not cluster.running():
            cluster.start()
        server.stop()

    result = outcome["result"]
    assert isinstance(result, subprocess.CompletedProcess), result
    assert result.returncode == 0, harness.format_process(result)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["names"] == ["after-the-outage"]
    assert found["seconds"] > OUTAGE_SECONDS, "the client did not wait for the database"
    assert "Traceback" not in log, log[-4000:]
