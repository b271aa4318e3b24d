"""Serving under a URL path prefix (``ORION_URL_PREFIX``, or the ASGI server's root path).

Behind a reverse proxy the app may live at ``https://host/prefect/``. The prefix comes
from ``ORION_URL_PREFIX`` or, when that is empty, from the ASGI ``root_path`` the server
sets (``daphne --root-path /prefect``, or the ``Daphne-Root-Path`` header a proxy sends).
:class:`PrefixedProtocolTypeRouter` puts every HTTP and websocket scope into one shape before
Django or channels see it: ``root_path`` is the prefix and ``path`` starts with it. A
proxy may forward ``/prefect/api/flows/`` as is or strip the prefix to ``/api/flows/``;
both reach the same view, and every URL the app generates (admin links, the UI's base
URL and API address, static files) carries the prefix.
"""

from __future__ import annotations

from typing import Any

from channels.routing import ProtocolTypeRouter

from orion_project.env import normalize_url_prefix


def scope_with_prefix(scope: dict[str, Any], prefix: str) -> dict[str, Any]:
    """``scope`` with ``root_path`` set to the prefix and ``path`` starting with it."""
    root = normalize_url_prefix(prefix or scope.get("root_path", ""))
    if not root:
        return scope
    path = scope["path"]
    if path == root:
        path = root + "/"
    elif not path.startswith(root + "/"):
        # The proxy stripped the prefix: put it back, as the ASGI spec has paths include it.
        path = root + path
    return {**scope, "root_path": root, "path": path}


class PrefixedProtocolTypeRouter(ProtocolTypeRouter):
    """Channels' protocol router, giving HTTP and websocket scopes the app's URL prefix."""

    def __init__(self, application_mapping: dict[str, Any], prefix: str = "") -> None:
        super().__init__(application_mapping)
        self.prefix = normalize_url_prefix(prefix)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Adjust the scope, then route it by protocol."""
        if scope["type"] in ("http", "websocket"):
            scope = scope_with_prefix(scope, self.prefix)
        await super().__call__(scope, receive, send)
