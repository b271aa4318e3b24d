"""Admin routes: settings (secrets masked), version, and whole-database operations."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.fixtures import Settings

from api import models
from api.crud import flows as flows_crud
from api.crud import saved_searches
from api.schemas.actions import FlowCreate, SavedSearchCreate

MASK = "********"


def _post(client: Client, path: str, body: Any = None) -> Any:
    if body is None:
        return client.post(path, content_type="application/json")
    return client.post(path, body, content_type="application/json")


def test_settings_lists_prefect_settings(client: Client, settings: Settings) -> None:
    settings.PREFECT_API_DEFAULT_LIMIT = 123
    response = client.get("/api/admin/settings")
    assert response.status_code == 200
    values = response.json()
    assert values["PREFECT_API_DEFAULT_LIMIT"] == 123
    assert values["PREFECT_UI_ENABLED"] is True
    assert "PREFECT_API_SERVICES_SCHEDULER_LOOP_SECONDS" in values
    assert all(name.startswith("PREFECT_") for name in values)


def test_settings_mask_secrets(client: Client, settings: Settings) -> None:
    settings.PREFECT_API_KEY = "pnu_topsecret"
    settings.PREFECT_API_DATABASE_PASSWORD = "hunter2"
    settings.PREFECT_API_DATABASE_CONNECTION_URL = "postgresql://u:dbpass@h/db"
    settings.PREFECT_SERVER_ENCRYPTION_KEY = "fernet-key-material"
    response = client.get("/api/admin/settings")
    text = response.content.decode()
    for secret in ("pnu_topsecret", "hunter2", "dbpass", "fernet-key-material"):
        assert secret not in text
    values = response.json()
    for name in (
        "PREFECT_API_KEY",
        "PREFECT_API_DATABASE_PASSWORD",
        "PREFECT_API_DATABASE_CONNECTION_URL",
        "PREFECT_SERVER_ENCRYPTION_KEY",
    ):
        assert values[name] == MASK, name


def test_settings_unset_secret_is_not_masked(client: Client, settings: Settings) -> None:
    settings.PREFECT_API_KEY = None
    assert client.get("/api/admin/settings").json()["PREFECT_API_KEY"] is None


def test_admin_version(client: Client) -> None:
    response = client.get("/api/admin/version")
    assert response.status_code == 200
    assert response.json() == "2.8.7"


@pytest.mark.parametrize("action", ["clear", "drop", "create"])
@pytest.mark.parametrize("body", [None, {}, {"confirm": False}, {"confirm": None}])
@pytest.mark.django_db
def test_database_routes_require_confirm(client: Client, action: str, body: Any) -> None:
    flows_crud.create_flow(FlowCreate(name="keep-me"))
    response = _post(client, f"/api/admin/database/{action}", body)
    assert response.status_code == 400
    assert response.content == b""
    assert models.Flow.objects.filter(name="keep-me").exists()


@pytest.mark.django_db
def test_clear_empties_every_table(client: Client) -> None:
    flow, _ = flows_crud.create_flow(FlowCreate(name="doomed"))
    saved_searches.create_saved_search(SavedSearchCreate(name="mine"))
    # No API writes configuration rows (the server keeps its own): written directly.
    models.Configuration.objects.create(key="k", value={"a": 1})
    response = _post(client, "/api/admin/database/clear", {"confirm": True})
    assert response.status_code == 204
    assert response.content == b""
    for model in (models.Flow, models.SavedSearch, models.Configuration):
        assert not model.objects.exists(), model.__name__


def _linked_rows(count: int) -> None:
    """Flow runs with states and logs; the first run points back at its state. Written in
    bulk, not through crud: the tests compare query counts at two volumes."""
    now = timezone.now()
    flow = models.Flow.objects.create(name=f"busy-{count}")
    runs = models.FlowRun.objects.bulk_create(
        [models.FlowRun(flow=flow, name=f"run-{count}-{n}") for n in range(count)]
    )
    states = models.FlowRunState.objects.bulk_create(
        [models.FlowRunState(flow_run=run, type="COMPLETED", name="Completed", timestamp=now) for run in runs]
    )
    models.FlowRun.objects.filter(id=runs[0].id).update(state=states[0])
    models.Log.objects.bulk_create(
        [models.Log(flow_run_id=run.id, name="x", level=20, message="m", timestamp=now) for run in runs]
    )


@pytest.mark.django_db(transaction=True)
def test_clear_with_linked_rows_commits_and_does_not_scale_with_rows(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    _linked_rows(3)
    with CaptureQueriesContext(connection) as small:
        assert _post(client, "/api/admin/database/clear", {"confirm": True}).status_code == 204
    _linked_rows(1500)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert _post(client, "/api/admin/database/clear", {"confirm": True}).status_code == 204
    for model in (models.Flow, models.FlowRun, models.FlowRunState, models.Log):
        assert not model.objects.exists(), model.__name__


def _tables() -> set[str]:
    return set(connection.introspection.table_names())


@pytest.mark.django_db(transaction=True)
def test_drop_then_create_leaves_a_working_database(client: Client) -> None:
    flows_crud.create_flow(FlowCreate(name="before"))
    assert _post(client, "/api/admin/database/drop", {"confirm": True}).status_code == 204
    assert "flow" not in _tables()
    # The API still answers while its tables are gone.
    assert client.get("/api/health").json() is True

    response = _post(client, "/api/admin/database/create", {"confirm": True})
    assert response.status_code == 204
    assert response.content == b""
    assert "flow" in _tables()
    assert not models.Flow.objects.exists()
    flow, created = flows_crud.create_flow(FlowCreate(name="after"))
    assert created
    assert models.Flow.objects.get(id=flow.id).name == "after"


@pytest.mark.django_db(transaction=True)
def test_create_on_an_existing_database_is_harmless(client: Client) -> None:
    flows_crud.create_flow(FlowCreate(name="stays"))
    assert _post(client, "/api/admin/database/create", {"confirm": True}).status_code == 204
    assert models.Flow.objects.filter(name="stays").exists()
