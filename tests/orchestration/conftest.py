"""Fixtures of the orchestration tests: state proposals through the HTTP routes (runs in
a given initial state come from the shared ``make_flow_run``/``make_task_run``)."""

from __future__ import annotations

from typing import Any, Callable, Optional

import pytest


@pytest.fixture
def propose(client: Any) -> Callable[..., tuple[int, dict[str, Any]]]:
    """POST a proposed state to ``/api/<kind>_runs/<id>/set_state`` (kind: flow or task);
    returns (HTTP status, body)."""

    def post(
        kind: str, run_id: Any, state_type: str, force: bool = False, api_version: Optional[str] = None, **fields: Any
    ) -> tuple[int, dict[str, Any]]:
        headers = {"X-PREFECT-API-VERSION": api_version} if api_version else {}
        response = client.post(
            f"/api/{kind}_runs/{run_id}/set_state",
            {"state": {"type": state_type, **fields}, "force": force},
            content_type="application/json",
            headers=headers,
        )
        return response.status_code, response.json()

    return post


@pytest.fixture
def resume(client: Any) -> Callable[[Any], tuple[int, dict[str, Any]]]:
    """POST ``/api/flow_runs/<id>/resume``; returns (HTTP status, body)."""

    def post(run_id: Any) -> tuple[int, dict[str, Any]]:
        response = client.post(f"/api/flow_runs/{run_id}/resume")
        return response.status_code, response.json()

    return post
