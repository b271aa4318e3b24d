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


def normalize_url_prefix(prefix: str | None) -> str:
    """A URL path prefix as Django's script name: ``"prefect/"`` -> ``"/prefect"``, ``"/"`` -> ``""``."""
    stripped = (prefix or "").strip().strip("/")
    return f"/{stripped}" if stripped else ""


def database_from_url(
    url: str,
    prefect_home: Path,
    connect_timeout: float = 5.0,
    pool_timeout: float = 3.0,
    reconnect_timeout: float = 10.0,
) -> dict[str, Any]:
    """Translate a SQLAlchemy- or Django-style database URL into a Django DATABASES entry.

    Accepts ``sqlite:///path``, ``sqlite+aiosqlite:///path``, ``sqlite:///:memory:``,
    ``postgresql://``, ``postgresql+asyncpg://``, ``postgres://`` and ``psql://``.
    For PostgreSQL, ``connect_timeout`` bounds one connection attempt, ``pool_timeout`` how
    long a request waits for a pooled connection, ``reconnect_timeout`` how long the pool
    keeps backing off before it starts over (see :func:`postgres_pool_options`).
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
        options: dict[str, Any] = {
            "pool": postgres_pool_options(pool_timeout, reconnect_timeout),
            # libpq takes whole seconds and treats anything below 2 as 2.
            "connect_timeout": max(2, round(connect_timeout)),
        }
        if "sslmode" in query:
            options["sslmode"] = query["sslmode"]
        return {
            "ENGINE": "orion_project.db.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "postgres",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            # Pooled connections replace per-request connects; Django requires age 0 with a pool.
            "CONN_MAX_AGE": 0,
            # The pool checks a connection before handing it out (at most once a second, see
            # orion_project.db.postgresql), so the first requests after a database restart
            # do not get the connections the restart broke.
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
            # A per-process test database, so concurrent test runs on one server never collide.
            "TEST": {"NAME": query.get("test_name") or f"test_{unquote(parts.path.lstrip('/')) or 'postgres'}_{os.getpid()}"},
        }
    raise ValueError(f"Unsupported database URL scheme {parts.scheme!r}")


def postgres_pool_options(pool_timeout: float, reconnect_timeout: float) -> dict[str, Any]:
    """psycopg_pool options that fail fast while PostgreSQL is down and recover fast after.

    A request waits at most ``pool_timeout`` for a connection, then gets ``PoolTimeout``
    (answered 503). The pool's reconnect back-off doubles without a cap until
    ``reconnect_timeout``: with psycopg_pool's 5-minute default, a long outage leaves it
    sleeping for up to two minutes after the database is back; bounding it makes the pool
    start over with a one-second delay every ``reconnect_timeout`` seconds instead.
    """
    return {"min_size": 2, "max_size": 40, "timeout": pool_timeout, "reconnect_timeout": reconnect_timeout}


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
