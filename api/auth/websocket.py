"""The guard of the ``/api/live`` websocket: the same rules as the HTTP API.

A browser page connects with its session cookie, other clients with
``Authorization: Bearer <token>``. When auth is required an unauthenticated handshake is
refused (the server answers 403); without auth only loopback peers may connect (unless
``ORION_ALLOW_ANONYMOUS_REMOTE``). A handshake whose ``Origin`` is foreign is refused
either way: the session cookie would otherwise let any page follow this server's events.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from django.conf import settings
from django.http import parse_cookie
from django.http.request import split_domain_port, validate_host

from api.auth import identity as identities


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", ())}


def _host_allowed(host: str) -> bool:
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


def _origin_allowed(origin: str | None, host: str) -> bool:
    if origin is None or settings.CORS_ALLOW_ALL_ORIGINS:
        return True
    if origin in settings.CORS_ALLOWED_ORIGINS or origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    return urlsplit(origin).netloc == host


def connection_allowed(scope: dict[str, Any]) -> bool:
    """Whether the websocket handshake in ``scope`` may be accepted (runs queries)."""
    headers = _headers(scope)
    host = headers.get("host", "")
    if not _host_allowed(host) or not _origin_allowed(headers.get("origin"), host):
        return False
    secret = identities.bearer_secret(headers.get("authorization"))
    if secret is not None:
        identity = identities.from_token(secret)
    else:
        key = parse_cookie(headers.get("cookie", "")).get(settings.SESSION_COOKIE_NAME)
        identity = identities.from_session(identities.session_store(key)) if key else identities.ANONYMOUS
    if settings.ORION_AUTH_REQUIRED:
        return identity is not None and identity.authenticated and identity.role is not None
    client = scope.get("client") or (None, None)
    return settings.ORION_ALLOW_ANONYMOUS_REMOTE or identities.is_loopback(client[0])


class LiveGuard:
    """ASGI middleware refusing websocket handshakes that ``connection_allowed`` rejects."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        """Pass the connection on, or consume its connect message and refuse it."""
        if scope["type"] == "websocket" and not await database_sync_to_async(connection_allowed)(scope):
            message = await receive()
            if message["type"] == "websocket.connect":
                await send({"type": "websocket.close", "code": 4403})
            return None
        return await self.inner(scope, receive, send)
