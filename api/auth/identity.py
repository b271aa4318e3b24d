"""Who a request (or websocket) is: a bearer token's user, a session's user, or nobody."""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import threading
import time
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user
from django.utils import timezone

from api.auth.roles import Role
from api.crud import accounts


@dataclasses.dataclass(frozen=True)
class Identity:
    """The caller: ``user`` is None for anonymous callers; ``via`` says how they proved it."""

    user: Any = None
    role: Role | None = None
    token_name: str = ""
    via: str = ""  # "token", "session" or "" (anonymous)

    @property
    def username(self) -> str:
        """The user's name, or "" for anonymous callers."""
        return self.user.get_username() if self.user is not None else ""

    @property
    def authenticated(self) -> bool:
        """Whether the caller proved who they are."""
        return self.user is not None


ANONYMOUS = Identity()


def bearer_secret(authorization: str | None) -> str | None:
    """The secret of an ``Authorization: Bearer <secret>`` header (what PREFECT_API_KEY sends)."""
    if not authorization:
        return None
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return secret.strip()


@dataclasses.dataclass(frozen=True)
class _Verified:
    identity: Identity
    token: Any
    until: float  # time.monotonic() deadline of this cache entry


# digest -> verified token, per process; bounded, and only ever holds verified tokens.
_verified: dict[str, _Verified] = {}
_verified_lock = threading.Lock()
_MAX_CACHED = 4096


def from_token(secret: str) -> Identity | None:
    """The identity of a bearer token, or None if it is unknown, expired or revoked.

    A verified token is remembered for ``ORION_TOKEN_CACHE_SECONDS``: building and running
    the lookup costs more than the rest of a small request (measured with bench/).
    """
    if not secret:
        return None
    key = accounts.digest(secret)
    now = timezone.now()
    hit = _verified.get(key)
    if hit is not None and hit.until > time.monotonic() and (hit.token.expires is None or hit.token.expires > now):
        accounts.touch_token(hit.token, now, settings.ORION_TOKEN_LAST_USED_RESOLUTION_SECONDS)
        return hit.identity
    verified = accounts.verify_token(secret, now)
    if verified is None:
        forget_token(key)
        return None
    token, role = verified
    accounts.touch_token(token, now, settings.ORION_TOKEN_LAST_USED_RESOLUTION_SECONDS)
    identity = Identity(user=token.user, role=role, token_name=token.name, via="token")
    ttl = settings.ORION_TOKEN_CACHE_SECONDS
    if ttl > 0:
        with _verified_lock:
            if len(_verified) >= _MAX_CACHED:
                _verified.clear()
            _verified[key] = _Verified(identity, token, time.monotonic() + ttl)
    return identity


def forget_token(digest: str) -> None:
    """Drop a token from this process's cache (it was revoked here)."""
    with _verified_lock:
        _verified.pop(digest, None)


def from_session(session: Any) -> Identity:
    """The identity of a Django session (anonymous unless it holds a signed-in active user)."""
    user = get_user(SimpleNamespace(session=session))
    if not user.is_authenticated:
        return ANONYMOUS
    return Identity(user=user, role=accounts.role_of(user), via="session")


def session_store(session_key: str | None) -> Any:
    """The session store for a cookie value (the API's lean chain has no session middleware)."""
    from importlib import import_module

    engine = import_module(settings.SESSION_ENGINE)
    return engine.SessionStore(session_key)


@functools.lru_cache(maxsize=1024)
def is_loopback(address: str | None) -> bool:
    """Whether a peer address is the local machine (IPv4, IPv6 or IPv4-mapped IPv6)."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback
