"""Settings come from the environment under the names Prefect users already have.

Each case starts a fresh interpreter with a controlled environment and prints what Django
ended up with, since settings are read once at import time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from orion_project.env import database_from_url, env_bool, env_float, env_int, env_list, env_str

REPO_ROOT = Path(__file__).resolve().parent.parent

_PRINT_SETTINGS = textwrap.dedent(
    """
    import json, os, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "orion_project.settings"
    import django
    django.setup()
    from django.conf import settings
    from api.schemas.base import LimitConfig
    db = settings.DATABASES["default"]
    out = {name: getattr(settings, name) for name in dir(settings) if name.startswith(("PREFECT_", "ORION_"))}
    out["DATABASE"] = {key: db.get(key) for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")}
    out["LIMIT_CONFIG"] = LimitConfig.default_limit
    out["urls_have_ui"] = any(
        getattr(p.pattern, "_route", None) == "ui-settings" for p in __import__("orion_project.urls").urls.urlpatterns
    )
    print(json.dumps(out, default=str))
    """
)


def _clean_environ(home: Path, extra: Mapping[str, str]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PREFECT_", "DJANGO_")) and key != "DATABASE_URL"
    }
    env["PREFECT_HOME"] = str(home)
    env.update(extra)
    return env


def settings_with(home: Path, **extra: str) -> dict[str, Any]:
    """The project's settings as a fresh process with ``extra`` in its environment sees them."""
    result = subprocess.run(
        [sys.executable, "-c", _PRINT_SETTINGS],
        cwd=REPO_ROOT,
        env=_clean_environ(home, extra),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_settings(values: dict[str, Any], **expected: Any) -> None:
    """Each named setting has its expected value (``True``/``False``/``None`` by identity)."""
    for name, value in expected.items():
        if isinstance(value, bool) or value is None:
            assert values[name] is value, name
        else:
            assert values[name] == value, name


def test_defaults_use_sqlite_under_prefect_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    values = settings_with(home)
    assert home.is_dir()
    assert values["DATABASE"]["ENGINE"] == "orion_project.db.sqlite3"
    assert values["DATABASE"]["NAME"] == str(home / "orion.db")
    assert_settings(
        values,
        PREFECT_HOME=str(home),
        PREFECT_API_DATABASE_MIGRATE_ON_START=True,
        PREFECT_API_DEFAULT_LIMIT=200,
        PREFECT_UI_ENABLED=True,
        # Unset: the UI calls the API on its own origin and URL prefix (ui.views.ui_settings).
        PREFECT_UI_API_URL=None,
        ORION_URL_PREFIX="",
        PREFECT_SERVER_API_HOST="127.0.0.1",
        PREFECT_SERVER_API_PORT=4200,
        PREFECT_API_SERVICES_SCHEDULER_ENABLED=True,
        PREFECT_API_SERVICES_SCHEDULER_LOOP_SECONDS=60.0,
        PREFECT_API_SERVICES_LATE_RUNS_LOOP_SECONDS=5.0,
    )


# Each override: the environment's text, and the value Django ends up with.
OVERRIDES: dict[str, tuple[str, Any]] = {
    "PREFECT_API_DATABASE_MIGRATE_ON_START": ("false", False),
    "PREFECT_API_SERVICES_SCHEDULER_ENABLED": ("false", False),
    "PREFECT_API_SERVICES_LATE_RUNS_ENABLED": ("0", False),
    "PREFECT_API_SERVICES_PAUSE_EXPIRATIONS_ENABLED": ("no", False),
    "PREFECT_API_SERVICES_CANCELLATION_CLEANUP_ENABLED": ("False", False),
    "PREFECT_API_SERVICES_FLOW_RUN_NOTIFICATIONS_ENABLED": ("off", False),
    "PREFECT_API_SERVICES_SCHEDULER_LOOP_SECONDS": ("7.5", 7.5),
    "PREFECT_API_SERVICES_LATE_RUNS_LOOP_SECONDS": ("2", 2.0),
    "PREFECT_API_SERVICES_PAUSE_EXPIRATIONS_LOOP_SECONDS": ("3", 3.0),
    "PREFECT_API_SERVICES_CANCELLATION_CLEANUP_LOOP_SECONDS": ("4", 4.0),
    "PREFECT_API_SERVICES_FLOW_RUN_NOTIFICATIONS_LOOP_SECONDS": ("6", 6.0),
    "PREFECT_API_DEFAULT_LIMIT": ("50", 50),
    "PREFECT_UI_ENABLED": ("false", False),
    "PREFECT_UI_API_URL": ("https://orion.example/api", "https://orion.example/api"),
    "PREFECT_SERVER_API_HOST": ("0.0.0.0", "0.0.0.0"),
    "PREFECT_SERVER_API_PORT": ("4300", 4300),
}


def test_prefect_names_override_defaults(tmp_path: Path) -> None:
    values = settings_with(tmp_path, **{name: text for name, (text, _) in OVERRIDES.items()})
    assert_settings(values, **{name: value for name, (_, value) in OVERRIDES.items()})
    # The page-size bound the schemas enforce follows the setting.
    assert_settings(values, LIMIT_CONFIG=50, urls_have_ui=False)


def test_ui_api_url_does_not_follow_the_bind_address(tmp_path: Path) -> None:
    # A bind address such as 0.0.0.0 is not where a browser finds the API.
    values = settings_with(tmp_path, PREFECT_SERVER_API_HOST="0.0.0.0", PREFECT_SERVER_API_PORT="4555")
    assert values["PREFECT_UI_API_URL"] is None
    assert values["urls_have_ui"] is True


def test_url_prefix_is_normalized(tmp_path: Path) -> None:
    assert settings_with(tmp_path, ORION_URL_PREFIX="prefect/")["ORION_URL_PREFIX"] == "/prefect"
    assert settings_with(tmp_path, ORION_URL_PREFIX="/")["ORION_URL_PREFIX"] == ""


# Each legacy name: the environment's text, the current name it stands for, and the value.
LEGACY_ALIASES: dict[str, tuple[str, str, Any]] = {
    "PREFECT_ORION_API_DEFAULT_LIMIT": ("25", "PREFECT_API_DEFAULT_LIMIT", 25),
    "PREFECT_ORION_SERVICES_LATE_RUNS_ENABLED": ("false", "PREFECT_API_SERVICES_LATE_RUNS_ENABLED", False),
    "PREFECT_ORION_SERVICES_SCHEDULER_LOOP_SECONDS": ("9", "PREFECT_API_SERVICES_SCHEDULER_LOOP_SECONDS", 9.0),
    "PREFECT_ORION_DATABASE_MIGRATE_ON_START": ("false", "PREFECT_API_DATABASE_MIGRATE_ON_START", False),
    "PREFECT_ORION_UI_ENABLED": ("false", "PREFECT_UI_ENABLED", False),
    "PREFECT_ORION_API_PORT": ("4321", "PREFECT_SERVER_API_PORT", 4321),
}


def test_legacy_orion_names_are_aliases(tmp_path: Path) -> None:
    values = settings_with(
        tmp_path,
        PREFECT_ORION_DATABASE_CONNECTION_URL="postgresql://legacy@oldhost/olddb",
        **{legacy: text for legacy, (text, _, _) in LEGACY_ALIASES.items()},
    )
    assert_settings(values, **{name: value for _, name, value in LEGACY_ALIASES.values()})
    assert (values["DATABASE"]["HOST"], values["DATABASE"]["NAME"]) == ("oldhost", "olddb")


def test_current_names_win_over_legacy_aliases(tmp_path: Path) -> None:
    values = settings_with(tmp_path, PREFECT_ORION_API_DEFAULT_LIMIT="25", PREFECT_API_DEFAULT_LIMIT="30")
    assert values["PREFECT_API_DEFAULT_LIMIT"] == 30


def test_connection_url_selects_sqlite_file(tmp_path: Path) -> None:
    db_file = tmp_path / "elsewhere" / "my.db"
    values = settings_with(
        tmp_path / "home", PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{db_file}"
    )
    assert values["DATABASE"]["ENGINE"] == "orion_project.db.sqlite3"
    assert values["DATABASE"]["NAME"] == str(db_file)


def test_database_url_selects_postgres(tmp_path: Path) -> None:
    values = settings_with(tmp_path, DATABASE_URL="postgresql://orion:s3cret@db.local:5433/orion_db")
    db = values["DATABASE"]
    assert db["ENGINE"] == "orion_project.db.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "orion_db",
        "orion",
        "s3cret",
        "db.local",
        "5433",
    )


def test_prefect_connection_url_wins_over_database_url(tmp_path: Path) -> None:
    values = settings_with(
        tmp_path,
        DATABASE_URL="postgresql://a@one/first",
        PREFECT_API_DATABASE_CONNECTION_URL="postgresql+asyncpg://b@two/second",
        PREFECT_API_DATABASE_PASSWORD="pw",
    )
    db = values["DATABASE"]
    assert (db["HOST"], db["NAME"], db["USER"], db["PASSWORD"]) == ("two", "second", "b", "pw")


def test_unreadable_boolean_is_an_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PRINT_SETTINGS],
        cwd=REPO_ROOT,
        env=_clean_environ(tmp_path, {"PREFECT_UI_ENABLED": "maybe"}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "PREFECT_UI_ENABLED='maybe' is not a boolean" in result.stderr


def test_env_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORION_T_STR", "x")
    monkeypatch.setenv("ORION_T_BOOL", "Yes")
    monkeypatch.setenv("ORION_T_FLOAT", "1.5")
    monkeypatch.setenv("ORION_T_INT", "12")
    monkeypatch.setenv("ORION_T_LIST", " a, b ,,c ")
    monkeypatch.delenv("ORION_T_MISSING", raising=False)
    assert env_str("ORION_T_STR") == "x"
    assert env_str("ORION_T_MISSING", "d") == "d"
    assert env_bool("ORION_T_BOOL", False) is True
    assert env_bool("ORION_T_MISSING", True) is True
    assert env_float("ORION_T_FLOAT", 0.0) == 1.5
    assert env_int("ORION_T_INT", 0) == 12
    assert env_int("ORION_T_MISSING", 7) == 7
    assert env_list("ORION_T_LIST", []) == ["a", "b", "c"]


def test_database_from_url_sqlite_spellings(tmp_path: Path) -> None:
    absolute = database_from_url(f"sqlite:///{tmp_path}/a.db", tmp_path)
    assert absolute["NAME"] == str(tmp_path / "a.db")
    memory = database_from_url("sqlite:///:memory:", tmp_path)
    assert memory["NAME"] == str(tmp_path / "orion.db")
    with pytest.raises(ValueError, match="mysql"):
        database_from_url("mysql://x@y/z", tmp_path)


def test_database_from_url_postgres_options(tmp_path: Path) -> None:
    db = database_from_url("postgres://u:p%40ss@h:1/name?sslmode=require", tmp_path)
    assert db["PASSWORD"] == "p@ss"
    assert db["OPTIONS"]["sslmode"] == "require"
    assert db["OPTIONS"]["pool"]


def test_postgres_fails_fast_and_reconnects_soon_during_an_outage(tmp_path: Path) -> None:
    db = database_from_url(
        "postgresql://u@h/name", tmp_path, connect_timeout=4.2, pool_timeout=2.5, reconnect_timeout=7
    )
    # A request waits at most the pool timeout for a connection; the reconnect back-off
    # starts over every reconnect_timeout seconds; stale connections are checked out.
    assert db["OPTIONS"]["pool"]["timeout"] == 2.5
    assert db["OPTIONS"]["pool"]["reconnect_timeout"] == 7
    assert db["OPTIONS"]["connect_timeout"] == 4
    assert db["CONN_HEALTH_CHECKS"] is True
    defaults = settings_with(tmp_path, DATABASE_URL="postgresql://u@h/name")["DATABASE"]["OPTIONS"]
    assert (defaults["pool"]["timeout"], defaults["pool"]["reconnect_timeout"]) == (3.0, 10.0)
    tuned = settings_with(
        tmp_path,
        DATABASE_URL="postgresql://u@h/name",
        ORION_DATABASE_POOL_TIMEOUT="1.5",
        ORION_DATABASE_RECONNECT_TIMEOUT="4",
    )["DATABASE"]["OPTIONS"]
    assert (tuned["pool"]["timeout"], tuned["pool"]["reconnect_timeout"]) == (1.5, 4.0)


def test_sqlite_runs_wal_with_busy_timeout_and_immediate_writes(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import json, os
        os.environ["DJANGO_SETTINGS_MODULE"] = "orion_project.settings"
        import django
        django.setup()
        from django.db import connection
        with connection.cursor() as cursor:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            busy = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
        print(json.dumps({"mode": mode, "busy": busy,
                          "txn": connection.settings_dict["OPTIONS"]["transaction_mode"]}))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=_clean_environ(tmp_path, {}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["mode"] == "wal"
    assert values["busy"] >= 5000
    assert values["txn"] == "IMMEDIATE"
