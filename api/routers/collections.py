"""Collection registry views (``/collections``), served from files shipped with the
server: no outbound request is ever made."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from api.collections import read_view
from api.errors import OrionHTTPError
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/collections", tags=["Collections"])


@router.get("/views/{view}")
def read_view_content(request: HttpRequest, view: str) -> dict[str, Any]:
    """The content of a registry view (``aggregate-block-metadata``)."""
    content = read_view(view)
    if content is None:
        raise OrionHTTPError(404, f"Requested content missing for view {view}")
    return content
