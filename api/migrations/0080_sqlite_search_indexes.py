"""SQLite's answers to the trigram and GIN indexes of 0070, and a partial index its
planner needs at scale (bench/reads_scale.py).

SQLite has no index that serves ``name LIKE '%...%'`` or a JSON containment test, so
those reads scan; two of these indexes change what the scan reads, the third what the
planner believes:

- ``(COALESCE(start_time, expected_start_time), name)``: the runs page's name search
  walks this index in its default sort (start time, newest first) and tests each name on
  the index entry itself, reading a table row only for a match. Without it, every run's
  full row was read to test its name: 5 s at a million runs, 0.28 s with it.
- ``(tags)``: counting runs by tag scans this narrow index instead of the table
  (0.6 s to 0.16 s at a million runs).
- ``(parent_task_run_id) WHERE parent_task_run_id IS NOT NULL``: most runs are not
  sub-flow runs, and once ``ANALYZE`` has counted the plain index's keys (NULL counts as
  one key there), SQLite judges it useless and finds a run's sub-flow runs by scanning
  every unfinished run instead: the crashed-runs sweep then took minutes a page at a
  million runs. This index holds only the sub-flow runs, so its statistics stay true
  (2 s for the first page of 20,000 silent RUNNING runs).

PostgreSQL serves the two reads from its GIN indexes and keeps NULLs apart in its
statistics; there these would only cost writes.
"""

from typing import Any

from django.db import migrations

SQLITE_INDEXES = [
    ("ix_flow_run__start_name", "flow_run", '(COALESCE("start_time", "expected_start_time"), "name")'),
    ("ix_flow_run__tags", "flow_run", '("tags")'),
    ("ix_flow_run__subflows", "flow_run", '("parent_task_run_id") WHERE "parent_task_run_id" IS NOT NULL'),
]


def create_sqlite_indexes(apps: Any, schema_editor: Any) -> None:
    """Create the indexes, on SQLite only."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for name, table, columns in SQLITE_INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" {columns}')


def drop_sqlite_indexes(apps: Any, schema_editor: Any) -> None:
    """Drop the indexes, on SQLite only."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for name, _, _ in SQLITE_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    """Search indexes for large SQLite databases."""

    dependencies = [("api", "0070_read_indexes")]

    operations = [migrations.RunPython(create_sqlite_indexes, drop_sqlite_indexes)]
