"""Environment readers for settings: typed lookups and database URL parsing.

Settings are environment-first so the ``PREFECT_*`` names Prefect users already have in
their profiles keep working; legacy ``PREFECT_ORION_*`` names are accepted as aliases.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

_TRUE = {"1", "true", "yes", "on", "t", "y"}
_FALSE = {"0", "false", "no", "off", "f", "n", ""}


# Prefect 2.8 renamed PREFECT_ORION_* settings; the old names still work as aliases.
_LEGACY_PREFIXES = (
    ("PREFECT_API_DATABASE_", "PREFECT_ORION_DATABASE_"),
    ("PREFECT_API_SERVICES_", "PREFECT_ORION_SERVICES_"),
    ("PREFECT_API_BLOCKS_", "PREFECT_ORION_BLOCKS_"),
    ("PREFECT_API_TASK_CACHE_", "PREFECT_ORION_TASK_CACHE_"),
    ("PREFECT_API_DEFAULT_LIMIT", "PREFECT_ORION_API_DEFAULT_LIMIT"),
    ("PREFECT_SERVER_API_", "PREFECT_ORION_API_"),
    ("PREFECT_UI_", "PREFECT_ORION_UI_"),
    ("PREFECT_SERVER_ANALYTICS_", "PREFECT_ORION_ANALYTICS_"),
)


def env_str(name: str, default: str | None = None) -> str | None:
    """Return ``name`` from the environment, else its legacy ``PREFECT_ORION_*`` alias."""
    if name in os.environ:
        return os.environ[name]
    for new, old in _LEGACY_PREFIXES:
        if name.startswith(new):
            legacy = old + name[len(new):]
            if legacy in os.environ:
                return os.environ[legacy]
    return default


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean flag; unrecognised text is an error rather than a silent default."""
    raw = env_str(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={raw!r} is not a boolean")


def env_float(name: str, default: float) -> float:
    """Read a number of seconds (or any float)."""
    raw = env_str(name)
    return default if raw in (None, "") else float(raw)


def env_int(name: str, default: int) -> int:
    """Read an integer."""
    raw = env_str(name)
    return default if raw in (None, "") else int(raw)


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list."""
    raw = env_str(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str, prefect_home: Path) -> dict[str, Any]:
    """Translate a SQLAlchemy- or Django-style database URL into a Django DATABASES entry.

    Accepts ``sqlite:///path``, ``sqlite+aiosqlite:///path``, ``sqlite:///:memory:``,
    ``postgresql://``, ``postgresql+asyncpg://``, ``postgres://`` and ``psql://``.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0].lower()
    if scheme == "sqlite":
        # SQLAlchemy spelling: sqlite:///relative/path and sqlite:////absolute/path.
        path = unquote(url.split("://", 1)[1]).split("?", 1)[0][1:]
        if path in ("", ":memory:"):
            path = str(prefect_home / "orion.db")
        name = str(Path(path).expanduser().resolve())
        return sqlite_database(name)
    if scheme in ("postgresql", "postgres", "psql", "pgsql"):
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        options: dict[str, Any] = {"pool": {"min_size": 2, "max_size": 40, "timeout": 30}}
        if "sslmode" in query:
            options["sslmode"] = query["sslmode"]
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "postgres",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            # Pooled connections replace per-request connects; Django requires age 0 with a pool.
            "CONN_MAX_AGE": 0,
            "OPTIONS": options,
            # A per-process test database, so concurrent test runs on one server never collide.
            "TEST": {"NAME": query.get("test_name") or f"test_{unquote(parts.path.lstrip('/')) or 'postgres'}_{os.getpid()}"},
        }
    raise ValueError(f"Unsupported database URL scheme {parts.scheme!r}")


def sqlite_database(name: str) -> dict[str, Any]:
    """A SQLite DATABASES entry tuned for a concurrent server (WAL, busy timeout, IMMEDIATE)."""
    return {
        "ENGINE": "orion_project.db.sqlite3",
        "NAME": name,
        # Pool threads keep their connection: opening one and re-running the PRAGMAs per
        # request would cost more than most queries.
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            # BEGIN IMMEDIATE takes the write lock up front, so concurrent writers queue on the
            # busy timeout instead of failing with "database is locked" on lock upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 60,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA cache_size=20000;"
                "PRAGMA temp_store=MEMORY;"
            ),
        },
        "TEST": {"NAME": None},
    }
