"""Hour bins of flow runs and task runs beside the minute bins (``api.models.history``),
kept by triggers of their own and filled from the runs already there.

The triggers, the fill and the figures are migration ``0082``'s, for granules an hour
wide; on SQLite the tables are ``WITHOUT ROWID`` as migration ``0083`` made the minute
bins. A history by the hour or longer then reads each whole hour as one row per state.
"""

import importlib

from django.db import migrations, models

HOUR_SECONDS = 3600  # api.models.history.HOUR_SECONDS, frozen with this migration
BINS = importlib.import_module("api.migrations.0082_run_history_bins")
KEYS = importlib.import_module("api.migrations.0083_history_bin_keys")


def hour_bins(table: str) -> str:
    return f"{table}_history_hour_bin"


def install(apps, schema_editor) -> None:
    """Tables without a rowid on SQLite, then the triggers and the fill."""
    postgresql = schema_editor.connection.vendor == "postgresql"
    for table in BINS.TABLES:
        bins = hour_bins(table)
        statements = [] if postgresql else KEYS.sqlite_rebuild(
            bins, f'({KEYS.SQLITE_COLUMNS}, PRIMARY KEY ({", ".join(KEYS.KEY)})) WITHOUT ROWID'
        )
        triggers = BINS.postgresql_statements if postgresql else BINS.sqlite_statements
        for statement in [*statements, *triggers(table, bins, HOUR_SECONDS)]:
            schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor) -> None:
    """Drop the triggers (the tables go with the models)."""
    for table in BINS.TABLES:
        for event in ("insert", "delete", "update"):
            trigger = f"{hour_bins(table)}_{event}"
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}", params=None)
                schema_editor.execute(f"DROP FUNCTION IF EXISTS {trigger}()", params=None)
            else:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0083_history_bin_keys'),
    ]

    operations = [
        migrations.CreateModel(
            name='FlowRunHistoryHourBin',
            fields=[
                ('pk', models.CompositePrimaryKey('granule', 'state_type', 'state_name', blank=True, editable=False, primary_key=True, serialize=False)),
                ('granule', models.BigIntegerField()),
                ('state_type', models.CharField(max_length=10)),
                ('state_name', models.TextField()),
                ('count_runs', models.BigIntegerField()),
                ('run_time_us', models.BigIntegerField()),
                ('lateness_us', models.BigIntegerField()),
                ('unstarted', models.BigIntegerField()),
                ('unstarted_offset_us', models.BigIntegerField()),
            ],
            options={
                'db_table': 'flow_run_history_hour_bin',
            },
        ),
        migrations.CreateModel(
            name='TaskRunHistoryHourBin',
            fields=[
                ('pk', models.CompositePrimaryKey('granule', 'state_type', 'state_name', blank=True, editable=False, primary_key=True, serialize=False)),
                ('granule', models.BigIntegerField()),
                ('state_type', models.CharField(max_length=10)),
                ('state_name', models.TextField()),
                ('count_runs', models.BigIntegerField()),
                ('run_time_us', models.BigIntegerField()),
                ('lateness_us', models.BigIntegerField()),
                ('unstarted', models.BigIntegerField()),
                ('unstarted_offset_us', models.BigIntegerField()),
            ],
            options={
                'db_table': 'task_run_history_hour_bin',
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
