"""``manage.py orion_token create|list|revoke``: API tokens from the command line.

``create --user NAME --role admin|operator|viewer [--name LABEL] [--expires-days N]``
creates the user if missing, gives them the role, and prints the new token alone on the
last line of stdout (so ``$(... | tail -n1)`` captures it). The secret is not stored and
cannot be shown again.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any
from uuid import UUID

from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from api.auth.roles import Role
from api.crud import accounts
from api.management.subcommands import SubcommandCommand


class Command(SubcommandCommand):
    """Create, list and revoke API tokens."""

    help = "Manage API tokens: create (prints the token on the last line), list, revoke."

    def add_actions(self, actions: argparse._SubParsersAction) -> None:
        """The three actions and their options."""
        create = actions.add_parser("create", help="Create a token (and the user, if missing).")
        create.add_argument("--user", required=True, help="Username; created if missing.")
        create.add_argument("--role", required=True, choices=[role.value for role in Role])
        create.add_argument("--name", default="cli", help="Label telling the token apart (default: cli).")
        create.add_argument("--expires-days", type=int, default=None, help="Days until the token expires.")
        listing = actions.add_parser("list", help="List tokens (never their secrets).")
        listing.add_argument("--user", default=None, help="Only this user's tokens.")
        revoke = actions.add_parser("revoke", help="Revoke a token by id, or by name with --user.")
        revoke.add_argument("token", help="The token's id, or its name (then --user is required).")
        revoke.add_argument("--user", default=None)

    def handle_create(self, user: str, role: str, name: str, expires_days: int | None, **_: Any) -> None:
        """Create the token and print it last."""
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1.")
        expires = timezone.now() + dt.timedelta(days=expires_days) if expires_days else None
        with transaction.atomic():
            account, previous, created = accounts.ensure_user(user, Role(role))
            _token, secret = accounts.create_token(account, name, expires)
        if created:
            self.stderr.write(f"Created user {user!r} with role {role}.")
        elif previous is not Role(role):
            self.stderr.write(f"User {user!r}: role {previous or 'none'} -> {role}.")
        until = f", expires {expires:%Y-%m-%d %H:%M} UTC" if expires else ""
        self.stderr.write(f"Token {name!r} for {user!r}{until}. It is shown only now:")
        self.stdout.write(secret)

    def handle_list(self, user: str | None, **_: Any) -> None:
        """One line per token: id, user, name, prefix, dates, status."""
        owner = self._user(user) if user else None
        now = timezone.now()
        rows = [("ID", "USER", "NAME", "PREFIX", "CREATED", "EXPIRES", "LAST USED", "STATUS")]
        for token in accounts.read_tokens(owner):
            status = "revoked" if token.revoked else "expired" if token.expires and token.expires <= now else "active"
            rows.append(
                (
                    str(token.id),
                    token.user.get_username(),
                    token.name,
                    token.prefix + "…",
                    _when(token.created),
                    _when(token.expires),
                    _when(token.last_used),
                    status,
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())

    def handle_revoke(self, token: str, user: str | None, **_: Any) -> None:
        """Revoke by id, or every token of ``--user`` with that name."""
        try:
            token_id = UUID(token)
        except ValueError:
            if not user:
                raise CommandError("Give the token's id, or its name together with --user.") from None
            tokens = [row for row in accounts.read_tokens(self._user(user)) if row.name == token]
        else:
            row = accounts.read_token(token_id)
            tokens = [row] if row is not None else []
        if not tokens:
            raise CommandError(f"No token {token!r}.")
        changed = accounts.revoke_tokens(tokens)
        self.stdout.write(f"Revoked {changed} token(s)." if changed else "Already revoked.")

    @staticmethod
    def _user(username: str) -> Any:
        account = accounts.read_user(username)
        if account is None:
            raise CommandError(f"No user {username!r}.")
        return account


def _when(value: dt.datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"
