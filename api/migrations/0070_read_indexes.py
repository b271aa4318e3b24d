"""Indexes for the UI's and the CLI's reads over large run tables (bench/reads_scale.py).

Both databases: (state type, end time) and (state type, start-or-expected time) serve the
runs page's state tabs in their sort order, where SQLite otherwise sorted every run of
that state type.

PostgreSQL only: a trigram GIN index serves ``name.like_`` (rendered as
``UPPER(name::text) LIKE UPPER('%...%')``, which no B-tree can serve) and a
``jsonb_path_ops`` GIN index serves ``tags.all_`` (``tags @> '[...]'``). SQLite has
neither index type; there the search stays a scan of the table.

The indexes are built in the migration's transaction, not ``CONCURRENTLY``: a concurrent
build waits for every other open transaction, including those of serving processes queued
on the start-up lock behind this migration, so processes starting together would wait on
each other for ever. An operator who must not block writes on a large live database can
create the two GIN indexes by hand with ``CONCURRENTLY`` first (``IF NOT EXISTS`` here).
"""

from typing import Any

from django.db import migrations, models
from django.db.models.functions import Coalesce

POSTGRES_INDEXES = [
    ("ix_flow_run__name_trgm", "flow_run", "USING gin (UPPER(name::text) gin_trgm_ops)"),
    ("ix_flow_run__tags_gin", "flow_run", "USING gin (tags jsonb_path_ops)"),
]


def create_postgres_indexes(apps: Any, schema_editor: Any) -> None:
    """Create pg_trgm (if missing) and the GIN indexes, on PostgreSQL only."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, definition in POSTGRES_INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" {definition}')


def drop_postgres_indexes(apps: Any, schema_editor: Any) -> None:
    """Drop the GIN indexes (the extension stays: other objects may use it)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in POSTGRES_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    """Read indexes for large databases."""

    dependencies = [("api", "0040_input_limits")]

    operations = [
        migrations.AddIndex(
            model_name="flowrun",
            index=models.Index(fields=["state_type", "end_time"], name="ix_flow_run__type_end"),
        ),
        migrations.AddIndex(
            model_name="flowrun",
            index=models.Index(
                "state_type", Coalesce("start_time", "expected_start_time"), name="ix_flow_run__type_start"
            ),
        ),
        migrations.RunPython(create_postgres_indexes, drop_postgres_indexes),
    ]
