"""Admin routes: settings, version and database management (``/admin``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from api.crud import database
from api.errors import OrionHTTPError
from api.schemas.base import Confirm
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/admin", tags=["Admin"])

MASK = "********"


@router.get("/settings")
def read_settings(request: HttpRequest) -> dict[str, Any]:
    """Every ``PREFECT_*`` setting the server runs with, secrets masked."""
    secret = set(settings.PREFECT_SECRET_SETTINGS)
    values: dict[str, Any] = {}
    for name in sorted(dir(settings)):
        if not name.startswith("PREFECT_") or name == "PREFECT_SECRET_SETTINGS":
            continue
        value = getattr(settings, name)
        values[name] = MASK if name in secret and value else value
    return values


@router.get("/version")
def read_version(request: HttpRequest) -> str:
    """The server (package) version."""
    return settings.ORION_VERSION


def _require_confirm(body: Confirm) -> None:
    if not body.confirm:
        raise OrionHTTPError(400)


@router.post("/database/clear", status_code=204)
def clear_database(request: HttpRequest, body: Confirm) -> None:
    """Delete every row of every API table."""
    _require_confirm(body)
    database.clear_database()


@router.post("/database/drop", status_code=204)
def drop_database(request: HttpRequest, body: Confirm) -> None:
    """Drop the API's tables."""
    _require_confirm(body)
    database.drop_database()


@router.post("/database/create", status_code=204)
def create_database(request: HttpRequest, body: Confirm) -> None:
    """Create (migrate) the API's tables."""
    _require_confirm(body)
    database.create_database()
