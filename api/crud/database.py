"""Whole-database operations behind ``/admin/database/*``."""

from __future__ import annotations

from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction


def _api_models() -> list[type]:
    return list(apps.get_app_config("api").get_models())


def clear_database() -> None:
    """Delete all rows of all API tables in one transaction (children before parents)."""
    models = _api_models()
    with transaction.atomic():
        # Deleting through the ORM applies the declared cascades whatever the order.
        for model in reversed(models):
            model._base_manager.all().delete()


def drop_database() -> None:
    """Drop the API's tables by unapplying its migrations."""
    call_command("migrate", "api", "zero", verbosity=0, interactive=False)
    connection.close()


def create_database() -> None:
    """Create or upgrade the API's tables."""
    call_command("migrate", verbosity=0, interactive=False)
