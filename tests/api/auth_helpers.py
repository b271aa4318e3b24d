"""Helpers for the auth tests: users with roles, tokens, and requests for every operation."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path
from typing import Any

from django.test import Client
from django.utils import timezone

from api.auth.roles import Role
from api.crud import accounts

ROUTES_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "routes-prefect-2.8.7.txt"
OPERATIONS: list[str] = [line.strip() for line in ROUTES_FILE.read_text().splitlines() if line.strip()]
_PARAMETER = re.compile(r"\{([^}]+)\}")


def make_user(role: Role, username: str | None = None) -> Any:
    """A user with ``role``."""
    return accounts.ensure_user(username or f"{role}-{uuid.uuid4().hex[:6]}", role)[0]


def make_token(role: Role = Role.OPERATOR, *, user: Any = None, name: str = "test", expires_in: dt.timedelta | None = None) -> str:
    """A new token's secret for a (new) user with ``role``."""
    owner = user or make_user(role)
    expires = timezone.now() + expires_in if expires_in is not None else None
    return accounts.create_token(owner, name, expires)[1]


def bearer(secret: str) -> dict[str, str]:
    """The header the Prefect client sends when PREFECT_API_KEY is set."""
    return {"Authorization": f"Bearer {secret}"}


def concrete_path(operation: str) -> tuple[str, str]:
    """``(method, path)`` for an operation, its path parameters filled with harmless values."""
    method, template = operation.split(" ", 1)

    def fill(match: re.Match[str]) -> str:
        return str(uuid.uuid4()) if match[1] == "id" else "x"

    return method, _PARAMETER.sub(fill, template)


def call(client: Client, operation: str, headers: dict[str, str] | None = None, body: str = "{}", query: str = "") -> Any:
    """Send ``operation`` with a JSON body on unsafe methods."""
    method, path = concrete_path(operation)
    send = getattr(client, method.lower())
    url = path + (f"?{query}" if query else "")
    if method in ("GET", "DELETE"):
        return send(url, headers=headers or {})
    return send(url, data=body, content_type="application/json", headers=headers or {})
