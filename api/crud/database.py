"""Whole-database operations behind ``/admin/database/*``."""

from __future__ import annotations

from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction


def _api_tables() -> list[str]:
    models = apps.get_app_config("api").get_models(include_auto_created=True)
    return [model._meta.db_table for model in models if model._meta.managed and not model._meta.proxy]


def clear_database() -> None:
    """Delete all rows of all API tables in one transaction, one statement per table.

    The ORM's cascading delete would load rows before deleting them, so its cost would
    grow with the database. Django declares foreign keys deferrable (checked at commit),
    so the order does not matter once every table is empty.
    """
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for table in reversed(_api_tables()):
            cursor.execute(f"DELETE FROM {quote(table)}")


def drop_database() -> None:
    """Drop the API's tables by unapplying its migrations."""
    call_command("migrate", "api", "zero", verbosity=0, interactive=False)
    connection.close()


def create_database() -> None:
    """Create or upgrade the API's tables."""
    call_command("migrate", verbosity=0, interactive=False)
