"""The roles (Django groups of the same names) and the kinds of access each grants."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """A user's role; a superuser is an admin whatever their groups."""

    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"


class Access(enum.StrEnum):
    """What an operation needs, as classified in ``api.routers.permissions``."""

    PUBLIC = "public"  # anyone, even without credentials
    ACCOUNT = "account"  # any signed-in user, about their own account
    READ = "read"  # reads, including read-only POSTs (filter, count, history)
    WRITE = "write"  # everything that changes data
    ADMIN = "admin"  # /api/admin/*


# Strongest first: a user in several role groups gets the first that matches.
ROLE_ORDER: tuple[Role, ...] = (Role.ADMIN, Role.OPERATOR, Role.VIEWER)

GRANTS: dict[Role, frozenset[Access]] = {
    Role.ADMIN: frozenset(Access),
    Role.OPERATOR: frozenset({Access.PUBLIC, Access.ACCOUNT, Access.READ, Access.WRITE}),
    Role.VIEWER: frozenset({Access.PUBLIC, Access.ACCOUNT, Access.READ}),
}


def may(role: Role | None, access: Access) -> bool:
    """Whether ``role`` (None: a user without a role) may perform ``access``."""
    if access is Access.PUBLIC:
        return True
    if role is None:
        return access is Access.ACCOUNT
    return access in GRANTS[role]


def may_reveal_secrets(role: Role | None) -> bool:
    """Whether ``role`` may read secret block values (``include_secrets=true``)."""
    return role in (Role.ADMIN, Role.OPERATOR)
