"""Fixtures of the service tests: a scratch database for subprocess tests and a reader of
a run as the API returns it (runs come from the shared ``make_flow_run``/``make_task_run``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.compat import harness


@pytest.fixture
def read_run(client: Any) -> Callable[[str, Any], dict[str, Any]]:
    """A flow run (``read_run("flow", id)``) or task run as ``GET /api/<kind>_runs/<id>`` returns it."""

    def read(kind: str, run_id: Any) -> dict[str, Any]:
        response = client.get(f"/api/{kind}_runs/{run_id}")
        assert response.status_code == 200, response.content
        return response.json()

    return read


@pytest.fixture
def scratch_database_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for subprocesses sharing one fresh, migrated database (a throw-away
    PostgreSQL database on PostgreSQL runs, a SQLite file otherwise)."""
    with harness.migrated_database_env(tmp_path) as env:
        yield env
