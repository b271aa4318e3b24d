"""The root routes every client and UI probe first: /health, /version, /hello."""

from __future__ import annotations

from django.test import Client


def test_health(client: Client) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response["content-type"].startswith("application/json")
    assert response.content == b"true"


def test_version_is_the_api_version(client: Client) -> None:
    response = client.get("/api/version")
    assert response.status_code == 200
    assert response.content == b'"0.8.4"'


def test_hello(client: Client) -> None:
    response = client.get("/api/hello", headers={"x-prefect-api-version": "0.8.4"})
    assert response.status_code == 200
    assert response.json() == "👋"
