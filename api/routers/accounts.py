"""The signed-in user's own account (``/me``): who am I, and my API tokens.

Not part of Prefect's API. The guard (``api.auth.middleware``) has already identified the
caller; these views only need a signed-in user for the token routes.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from api.auth import identity as identities
from api.auth.identity import ANONYMOUS, Identity
from api.auth.roles import Role
from api.crud import accounts
from api.dependencies import write_transaction
from api.errors import OrionHTTPError
from api.schemas.accounts import CreatedToken, Me, Token, TokenCreate
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/me", tags=["Accounts"])

SIGN_IN = "Sign in (or use an API key) to manage your tokens."


def _identity(request: HttpRequest) -> Identity:
    guard = getattr(request, "orion_guard", None)
    return guard.identity if guard is not None else ANONYMOUS


def _signed_in(request: HttpRequest) -> Identity:
    identity = _identity(request)
    if not identity.authenticated:
        raise OrionHTTPError(401, SIGN_IN)
    return identity


@router.get("/")
def read_me(request: HttpRequest) -> Me:
    """The caller's name and effective role."""
    identity = _identity(request)
    role = identity.role
    if not settings.ORION_AUTH_REQUIRED and (role is None or not identity.authenticated):
        role = Role.ADMIN  # without auth a local caller may do everything
    return Me(username=identity.username or None, role=role, auth_required=settings.ORION_AUTH_REQUIRED)


@router.get("/tokens")
def read_my_tokens(request: HttpRequest) -> list[Token]:
    """The caller's tokens, newest first (revoked and expired ones too)."""
    user = _signed_in(request).user
    return [Token.model_validate(row) for row in accounts.read_tokens(user)]


@router.post("/tokens", status_code=201)
def create_my_token(request: HttpRequest, token: TokenCreate) -> CreatedToken:
    """Create a token for the caller; the answer holds its secret, shown only this once."""
    user = _signed_in(request).user
    write_transaction(request)
    expires = timezone.now() + dt.timedelta(days=token.expires_days) if token.expires_days else None
    row, secret = accounts.create_token(user, token.name, expires)
    return CreatedToken.model_validate({**Token.model_validate(row).model_dump(), "token": secret})


@router.delete("/tokens/{id}", status_code=204)
def revoke_my_token(request: HttpRequest, id: UUID) -> None:
    """Revoke one of the caller's tokens."""
    user = _signed_in(request).user
    write_transaction(request)
    row = accounts.get_token(id, user)
    accounts.revoke_tokens([row])
    identities.forget_token(row.digest)
