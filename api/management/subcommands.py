"""``SubcommandCommand``: a management command whose first argument picks its action."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class SubcommandCommand(BaseCommand):
    """``manage.py <command> <action> ...``: ``handle_<action>(**options)`` does the work."""

    def add_arguments(self, parser: CommandParser) -> None:
        """A required ``action`` subcommand; subclasses declare theirs in ``add_actions``."""
        self.add_actions(parser.add_subparsers(dest="action", required=True))

    def add_actions(self, actions: argparse._SubParsersAction) -> None:
        """Add one parser per action (with its options) to ``actions``."""
        raise NotImplementedError

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        """Run the chosen action."""
        getattr(self, f"handle_{action}")(**options)
