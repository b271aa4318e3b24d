"""The server serves every operation of the Prefect 2.8.7 API: its OpenAPI document lists
each ``METHOD path`` of ``tests/fixtures/routes-prefect-2.8.7.txt``, plus the documented
extra operations (extras are allowed; none of the 115 may go missing)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROUTES_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "routes-prefect-2.8.7.txt"
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
# Extra to the 2.8.7 API, documented in the README ("Running in production").
OPS_OPERATIONS = {"GET /api/ready", "GET /api/metrics"}

pytestmark = pytest.mark.django_db


def served_operations(client) -> set[str]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    return {
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method in operations
        if method in HTTP_METHODS
    }


def test_every_prefect_operation_is_served(client):
    expected = {line.strip() for line in ROUTES_FILE.read_text().splitlines() if line.strip()}
    assert len(expected) == 115
    missing = sorted(expected - served_operations(client))
    assert missing == [], f"operations not served: {missing}"


def test_the_operations_probes_are_served(client):
    assert OPS_OPERATIONS <= served_operations(client)
