"""Users' roles and API tokens: creating, verifying, listing and revoking.

A token's secret is ``orion_`` plus 43 URL-safe characters (256 random bits). Only its
SHA-256 digest is stored: the secret carries enough entropy that a slow password hash
would add cost without adding safety, and the digest's unique index makes verification
one indexed lookup (which also reads the user and their role, in the same query).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Iterable
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db.models import Case, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.utils import timezone

from api.auth.roles import ROLE_ORDER, Role
from api.crud.lookups import first_or_not_found
from api.models import APIToken

TOKEN_PREFIX = "orion_"
TOKEN_NOT_FOUND = "Token not found"
_SHOWN_CHARACTERS = 12


def digest(secret: str) -> str:
    """The stored form of a token secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _role_rank() -> Case:
    return Case(
        *(When(name=role.value, then=Value(rank)) for rank, role in enumerate(ROLE_ORDER)),
        output_field=IntegerField(),
    )


def _role_subquery(user_ref: str) -> Subquery:
    """The strongest role group of the user ``user_ref`` names, as a scalar subquery."""
    groups = (
        Group.objects.filter(user=OuterRef(user_ref), name__in=[r.value for r in ROLE_ORDER])
        .annotate(rank=_role_rank())
        .order_by("rank")
        .values("name")[:1]
    )
    return Subquery(groups)


def _as_role(user: AbstractBaseUser, group_role: str | None) -> Role | None:
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    return Role(group_role) if group_role else None


def role_of(user: AbstractBaseUser) -> Role | None:
    """The role of ``user`` (a superuser is an admin), or None if they have none."""
    if not user.is_active:
        return None
    names = set(user.groups.filter(name__in=[r.value for r in ROLE_ORDER]).values_list("name", flat=True))
    group_role = next((role.value for role in ROLE_ORDER if role.value in names), None)
    return _as_role(user, group_role)


def set_role(user: AbstractBaseUser, role: Role) -> None:
    """Make ``role`` the user's only role group."""
    user.groups.remove(*Group.objects.filter(name__in=[r.value for r in ROLE_ORDER]).exclude(name=role.value))
    # get_or_create: the migration makes the groups, but a flushed database has none.
    user.groups.add(Group.objects.get_or_create(name=role.value)[0])


def ensure_user(username: str, role: Role) -> tuple[AbstractBaseUser, Role | None, bool]:
    """Return the user ``username`` with ``role``, creating them (without a password) if
    missing; also the role they had before and whether they were created."""
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    previous = None if created else role_of(user)
    if previous is not role:
        set_role(user, role)
    return user, previous, created


def create_token(
    user: AbstractBaseUser, name: str, expires: dt.datetime | None = None
) -> tuple[APIToken, str]:
    """Create a token for ``user``; return the row and the secret (shown once, never stored)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = APIToken.objects.create(
        user=user,
        name=name,
        digest=digest(secret),
        prefix=secret[:_SHOWN_CHARACTERS],
        expires=expires,
    )
    return token, secret


@functools.cache
def _verify_queryset() -> QuerySet[APIToken]:
    # Built once: resolving the role subquery costs more than running the query.
    return APIToken.objects.select_related("user").annotate(group_role=_role_subquery("user_id"))


def verify_token(secret: str, now: dt.datetime) -> tuple[APIToken, Role | None] | None:
    """The active token with this secret and its user's role, or None.

    One query: the token row by its unique digest, joined to its user, with the user's
    strongest role group as a subquery.
    """
    row = _verify_queryset().filter(digest=digest(secret)).first()
    if row is None or row.revoked is not None or not row.user.is_active:
        return None
    if row.expires is not None and row.expires <= now:
        return None
    return row, _as_role(row.user, row.group_role)


def touch_token(token: APIToken, now: dt.datetime, resolution: float) -> None:
    """Record that ``token`` was used, at most once per ``resolution`` seconds."""
    if token.last_used is not None and (now - token.last_used).total_seconds() < resolution:
        return
    APIToken.objects.filter(pk=token.pk).update(last_used=now)
    token.last_used = now


def read_tokens(user: AbstractBaseUser | None = None) -> QuerySet[APIToken]:
    """Tokens, newest first: of ``user``, or of everybody."""
    rows = APIToken.objects.select_related("user")
    return rows.filter(user=user) if user is not None else rows


def read_token(token_id: UUID, user: AbstractBaseUser | None = None) -> APIToken | None:
    """The token with this id (of ``user``, when given), or None."""
    return read_tokens(user).filter(pk=token_id).first()


def get_token(token_id: UUID, user: AbstractBaseUser) -> APIToken:
    """The token of ``user`` with this id; ``NotFoundError`` if there is none."""
    return first_or_not_found(read_tokens(user).filter(pk=token_id), TOKEN_NOT_FOUND)


def revoke_tokens(tokens: Iterable[APIToken]) -> int:
    """Revoke ``tokens`` (already revoked ones keep their time); return how many changed."""
    ids = [token.pk for token in tokens if token.revoked is None]
    return APIToken.objects.filter(pk__in=ids, revoked__isnull=True).update(revoked=timezone.now())


def read_user(username: str) -> AbstractBaseUser | None:
    """The user with this username, or None."""
    return get_user_model().objects.filter(username=username).first()
