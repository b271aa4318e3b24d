"""Wire models of the signed-in user's account: who they are, and their API tokens."""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from pydantic import Field

from api.schemas.base import ActionBaseModel, DateTime, PrefectBaseModel


class Me(PrefectBaseModel):
    """The caller as the server sees them.

    ``role`` is what the caller may do: with auth off every local caller may do
    everything, so it is ``admin`` there unless a signed-in user's own role says otherwise.
    """

    username: Optional[str] = None
    role: Optional[str] = None
    auth_required: bool


class TokenCreate(ActionBaseModel):
    """A new token: a label and, optionally, how many days it lives."""

    name: str = Field(min_length=1, max_length=100)
    expires_days: Optional[int] = Field(default=None, ge=1, le=3650)


class Token(PrefectBaseModel):
    """A token as listed: never its secret, only the first characters of it."""

    id: UUID
    name: str
    prefix: str
    created: DateTime
    expires: Optional[DateTime] = None
    last_used: Optional[DateTime] = None
    revoked: Optional[DateTime] = None


class CreatedToken(Token):
    """A token just created, with its secret: the only time the secret is shown."""

    token: str
