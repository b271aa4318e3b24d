"""``api.utilities.database``: which errors are outages, and how the API answers them.

The live outage (a PostgreSQL cluster really stopped and restarted) is in
``tests/db/test_database_outage.py``; here the errors an outage raises are raised by the
data layer directly, through the whole Django stack.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import psycopg
import psycopg_pool
import pytest
from django import db
from django.test import Client
from pytest_django.fixtures import Settings

from api.crud import flows
from api.utilities.database import database_available, describe, is_database_unavailable


def django_error(cause: BaseException, wrapper: type[Exception] = db.OperationalError) -> Exception:
    """``cause`` as Django raises it: wrapped, with the driver error as ``__cause__``."""
    try:
        raise wrapper(str(cause)) from cause
    except wrapper as exc:
        return exc


@pytest.mark.parametrize(
    "error",
    [
        psycopg.OperationalError("connection failed: Connection refused"),
        psycopg_pool.PoolTimeout("couldn't get a connection after 3.00 sec"),
        psycopg.InterfaceError("the connection is closed"),
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        psycopg.errors.CannotConnectNow("the database system is starting up"),
        sqlite3.OperationalError("database is locked"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_outage_errors_are_recognised_wrapped_or_not(error: BaseException) -> None:
    assert is_database_unavailable(error)
    assert is_database_unavailable(django_error(error))


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.UndefinedTable('relation "flow" does not exist'),
        psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
        psycopg.errors.UniqueViolation("duplicate key value"),
        sqlite3.OperationalError("no such table: flow"),
        ValueError("not a database error"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_query_errors_are_not_outages(error: BaseException) -> None:
    assert not is_database_unavailable(django_error(error, db.DatabaseError))


def test_describe_is_one_line() -> None:
    error = psycopg.OperationalError("connection failed: refused\nIs the server running?")
    assert describe(error) == "OperationalError: connection failed: refused"


@pytest.mark.django_db
def test_database_available_on_the_test_database() -> None:
    assert database_available()


def raising(error: BaseException) -> Callable[..., Any]:
    """A stand-in for a crud function that fails as it would during an outage."""

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise django_error(error)

    return fail


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error",
    [psycopg_pool.PoolTimeout("couldn't get a connection after 3.00 sec"), psycopg.OperationalError("server closed the connection unexpectedly")],
    ids=lambda error: type(error).__name__,
)
def test_reads_and_writes_answer_503_with_retry_after(
    client: Client, monkeypatch: pytest.MonkeyPatch, settings: Settings, error: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    settings.ORION_DATABASE_RETRY_AFTER_SECONDS = 7
    monkeypatch.setattr(flows, "read_flows", raising(error))
    monkeypatch.setattr(flows, "create_flow", raising(error))
    read = client.post("/api/flows/filter", {}, content_type="application/json")
    write = client.post("/api/flows/", {"name": "f"}, content_type="application/json")
    for response in (read, write):
        assert response.status_code == 503
        assert response["Retry-After"] == "7"
        assert response.json() == {"detail": "The database is unavailable; retry later."}
    # One warning line per failed request, no traceback.
    messages = [record for record in caplog.records if "Database unavailable" in record.getMessage()]
    assert len(messages) == 2
    assert all(record.exc_info is None for record in messages)


@pytest.mark.django_db
def test_other_database_errors_stay_500(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flows, "read_flows", raising(psycopg.errors.UndefinedTable('relation "flow" does not exist')))
    response = client.post("/api/flows/filter", {}, content_type="application/json")
    assert response.status_code == 500
    assert "Retry-After" not in response
