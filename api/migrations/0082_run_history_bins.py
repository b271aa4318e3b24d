"""History bins of flow runs and task runs (``api.models.history``), and the triggers
that keep them.

The triggers are written here, once per database, and nowhere else: whoever writes a run
(the API, a service, a bulk load, the admin, a person with ``psql``), its bin follows in
the same transaction. Each trigger takes the run out of its old bin and puts it in its new
one; a bin whose last run leaves is deleted. The triggers are created before the bins are
filled from the existing runs: on PostgreSQL, ``CREATE TRIGGER`` blocks writes to the run
table until this migration commits, so no change falls between the fill and the triggers.

The figures must be exactly those ``api.crud.history`` computes from the run table
(``tests/crud/test_history_bins.py`` holds them to it): the same microsecond parsing of
SQLite's datetime text, the same treatment of NULLs (a sum skips them) and negative
durations (counted as zero).
"""

from django.db import migrations, models

GRANULE_SECONDS = 60  # api.models.history.GRANULE_SECONDS, frozen with this migration
TERMINAL = "('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED')"
# The run columns a bin depends on.
WATCHED = ("state_type", "state_name", "expected_start_time", "start_time", "total_run_time")
BIN_COLUMNS = ("granule", "state_type", "state_name", "count_runs", "run_time_us", "lateness_us", "unstarted",
               "unstarted_offset_us")
SUMMED = BIN_COLUMNS[3:]
TABLES = ("flow_run", "task_run")


def included(row: str) -> str:
    """Whether the run ``row`` (NEW, OLD or a table alias) belongs in a bin."""
    return (f"({row}.state_type IS NOT NULL AND {row}.state_type <> 'RUNNING' AND {row}.state_name IS NOT NULL"
            f" AND {row}.expected_start_time IS NOT NULL)")


def sqlite_values(row: str, width: int = GRANULE_SECONDS) -> dict[str, str]:
    """The bin key and the figures of one run, in SQLite, for granules ``width`` seconds wide."""
    seconds = f"CAST(strftime('%s', substr({row}.expected_start_time, 1, 19)) AS INTEGER)"
    granule = f"(({seconds} - ((({seconds}) % {width}) + {width}) % {width}) / {width})"

    def micros(column: str) -> str:
        return (f"(CAST(strftime('%s', substr({row}.{column}, 1, 19)) AS INTEGER) * 1000000"
                f" + CAST(substr({row}.{column}, 21, 6) AS INTEGER))")

    unstarted = f"({row}.start_time IS NULL AND {row}.state_type NOT IN {TERMINAL})"
    return {
        "granule": granule,
        "state_type": f"{row}.state_type",
        "state_name": f"{row}.state_name",
        "count_runs": "1",
        "run_time_us": f"COALESCE(max({row}.total_run_time, 0), 0)",
        "lateness_us": (f"CASE WHEN {row}.start_time IS NOT NULL"
                        f" THEN COALESCE(max({micros('start_time')} - {micros('expected_start_time')}, 0), 0) ELSE 0 END"),
        "unstarted": f"CASE WHEN {unstarted} THEN 1 ELSE 0 END",
        "unstarted_offset_us": (f"CASE WHEN {unstarted}"
                                f" THEN {micros('expected_start_time')} - {granule} * {width * 1000000} ELSE 0 END"),
    }


def postgresql_values(row: str, width: int = GRANULE_SECONDS) -> dict[str, str]:
    """The bin key and the figures of one run, in PostgreSQL (``EXTRACT`` is exact:
    numeric), for granules ``width`` seconds wide."""

    def micros(value: str) -> str:
        return f"(EXTRACT(EPOCH FROM {value}) * 1000000)::bigint"

    granule = f"floor(EXTRACT(EPOCH FROM {row}.expected_start_time) / {width})::bigint"
    unstarted = f"({row}.start_time IS NULL AND {row}.state_type NOT IN {TERMINAL})"
    return {
        "granule": granule,
        "state_type": f"{row}.state_type",
        "state_name": f"{row}.state_name",
        "count_runs": "1",
        "run_time_us": f"GREATEST(COALESCE({micros(f'{row}.total_run_time')}, 0), 0)",
        "lateness_us": (f"CASE WHEN {row}.start_time IS NOT NULL"
                        f" THEN GREATEST({micros(f'{row}.start_time - {row}.expected_start_time')}, 0) ELSE 0 END"),
        "unstarted": f"CASE WHEN {unstarted} THEN 1 ELSE 0 END",
        "unstarted_offset_us": (f"CASE WHEN {unstarted}"
                                f" THEN {micros(f'{row}.expected_start_time')} - {granule} * {width * 1000000}"
                                f" ELSE 0 END"),
    }


def key_matches(values: dict[str, str]) -> str:
    """SQLite: the condition that picks one run's bin."""
    return " AND ".join(f"{column} = {values[column]}" for column in BIN_COLUMNS[:3])


def upsert(bins: str, values: dict[str, str], where: str) -> str:
    """SQLite: add one run's figures to its bin in the table ``bins``, creating the bin if needed."""
    added = ", ".join(f"{column} = {bins}.{column} + excluded.{column}" for column in SUMMED)
    return (f"INSERT INTO {bins} ({', '.join(BIN_COLUMNS)})"
            f" SELECT {', '.join(values[column] for column in BIN_COLUMNS)} WHERE {where}"
            f" ON CONFLICT (granule, state_type, state_name) DO UPDATE SET {added}")


def subtract(bins: str, values: dict[str, str]) -> str:
    """SQLite: take one run's figures out of its bin in ``bins`` (if it has one)."""
    taken = ", ".join(f"{column} = {column} - {values[column]}" for column in SUMMED)
    return f"UPDATE {bins} SET {taken} WHERE {key_matches(values)}"


def drop_empty(bins: str, values: dict[str, str]) -> str:
    """SQLite: delete one run's bin in ``bins`` if no run is left in it."""
    return f"DELETE FROM {bins} WHERE {key_matches(values)} AND count_runs = 0"


def changed() -> str:
    """SQLite: whether an update changed a watched column."""
    return " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in WATCHED)


def fill(table: str, values: dict[str, str], bins: str = "") -> str:
    """The bins (in ``bins``, by default ``table``'s minute bins) of the runs already in ``table``."""
    sums = ", ".join(f"SUM({values[column]})" for column in SUMMED)
    return (f"INSERT INTO {bins or f'{table}_history_bin'} ({', '.join(BIN_COLUMNS)})"
            f" SELECT {values['granule']}, run.state_type, run.state_name, {sums} FROM {table} run"
            f" WHERE {included('run')} GROUP BY 1, 2, 3")


def sqlite_statements(table: str, bins: str = "", width: int = GRANULE_SECONDS) -> list[str]:
    """Row triggers (SQLite has no other kind; its writes are serialised anyway), then the
    fill, of ``table``'s bins in ``bins`` (by default its minute bins), ``width`` seconds wide."""
    bins = bins or f"{table}_history_bin"
    new, old = sqlite_values("NEW", width), sqlite_values("OLD", width)
    # One trigger per event; an update runs "out" and "in" as two guarded statements, so
    # the order SQLite fires triggers in does not matter.
    out_old = f"{subtract(bins, old)} AND {included('OLD')}; {drop_empty(bins, old)};"
    in_new = f"{upsert(bins, new, included('NEW'))};"
    return [
        f"CREATE TRIGGER {bins}_insert AFTER INSERT ON {table} WHEN {included('NEW')}"
        f" BEGIN {in_new} END",
        f"CREATE TRIGGER {bins}_delete AFTER DELETE ON {table} WHEN {included('OLD')}"
        f" BEGIN {out_old} END",
        f"CREATE TRIGGER {bins}_update AFTER UPDATE OF {', '.join(WATCHED)} ON {table}"
        f" WHEN {changed()} BEGIN {out_old} {in_new} END",
        fill(table, sqlite_values("run", width), bins),
    ]


def postgresql_statements(table: str, bins: str = "", width: int = GRANULE_SECONDS) -> list[str]:
    """Statement-level triggers: each statement's runs move between bins in one upsert,
    in the order of the bins' keys. Every transaction then locks the bins it changes in
    the same order, so two of them moving runs between the same bins in opposite
    directions cannot deadlock, and a bulk write (a ``COPY``, a deployment's scheduled
    runs deleted at once) costs one upsert, not one per run. Rows whose watched columns an
    update left alone cancel out and touch no bin. ``bins`` and ``width`` as
    ``sqlite_statements``'s."""
    bins = bins or f"{table}_history_bin"

    def moved(rows: str, sign: str) -> str:
        values = postgresql_values("run", width)
        figures = ", ".join(f"{sign}{values[column]} AS {column}" for column in SUMMED)
        return (f"SELECT {values['granule']} AS granule, run.state_type, run.state_name, {figures}"
                f" FROM {rows} run WHERE {included('run')}")

    def function(event: str, sources: list[str]) -> str:
        sums = ", ".join(f"SUM({column})::bigint AS {column}" for column in SUMMED)
        changes = " OR ".join(f"SUM({column}) <> 0" for column in SUMMED)
        added = ", ".join(f"{column} = {bins}.{column} + excluded.{column}" for column in SUMMED)
        key = "granule, state_type, state_name"
        # A bin that does not exist is not made by taking runs out of it (a run table
        # emptied after its bins, say).
        exists = (f"count_runs > 0 OR EXISTS (SELECT 1 FROM {bins} kept WHERE kept.granule = summed.granule"
                  f" AND kept.state_type = summed.state_type AND kept.state_name = summed.state_name)")
        emptied = ""
        if "old_rows" in " ".join(sources):
            emptied = (f"DELETE FROM {bins} WHERE count_runs = 0 AND granule IN"
                       f" (SELECT {postgresql_values('run', width)['granule']} FROM old_rows run);")
        return f"""
CREATE FUNCTION {bins}_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH moved AS ({' UNION ALL '.join(sources)}),
    summed AS (SELECT {key}, {sums} FROM moved GROUP BY {key} HAVING {changes})
    INSERT INTO {bins} ({', '.join(BIN_COLUMNS)})
    SELECT {', '.join(BIN_COLUMNS)} FROM summed WHERE {exists} ORDER BY {key}
    ON CONFLICT ({key}) DO UPDATE SET {added};
    {emptied}
    RETURN NULL;
END
$$"""

    return [
        function("insert", [moved("new_rows", "")]),
        function("delete", [moved("old_rows", "-")]),
        function("update", [moved("new_rows", ""), moved("old_rows", "-")]),
        f"CREATE TRIGGER {bins}_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {bins}_insert()",
        f"CREATE TRIGGER {bins}_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {bins}_delete()",
        f"CREATE TRIGGER {bins}_update AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {bins}_update()",
        fill(table, postgresql_values("run", width), bins),
        # The history's plans depend on the bins' statistics; do not wait for autovacuum.
        f"ANALYZE {bins}",
    ]


def install(apps, schema_editor) -> None:
    """Create the triggers, then fill the bins from the runs already there."""
    statements = postgresql_statements if schema_editor.connection.vendor == "postgresql" else sqlite_statements
    for table in TABLES:
        for statement in statements(table):
            schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor) -> None:
    """Drop the triggers (the bins' tables go with the models)."""
    for table in TABLES:
        for event in ("insert", "delete", "update"):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_history_bin_{event} ON {table}", params=None)
                schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_history_bin_{event}()", params=None)
            else:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_history_bin_{event}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0081_row_ids_and_index_prefixes'),
    ]

    operations = [
        migrations.CreateModel(
            name='FlowRunHistoryBin',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
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
                'db_table': 'flow_run_history_bin',
                'constraints': [models.UniqueConstraint(fields=('granule', 'state_type', 'state_name'), name='uq_flow_run_history_bin__key')],
            },
        ),
        migrations.CreateModel(
            name='TaskRunHistoryBin',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
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
                'db_table': 'task_run_history_bin',
                'constraints': [models.UniqueConstraint(fields=('granule', 'state_type', 'state_name'), name='uq_task_run_history_bin__key')],
            },
        ),
        # The runs no bin holds, for the history to read from the run table.
        migrations.AddIndex(
            model_name='flowrun',
            index=models.Index(condition=models.Q(('state_type', 'RUNNING')), fields=['expected_start_time', 'state_type', 'state_name', 'state_timestamp', 'start_time', 'total_run_time'], name='ix_flow_run__running_expected'),
        ),
        migrations.AddIndex(
            model_name='taskrun',
            index=models.Index(condition=models.Q(('state_type', 'RUNNING')), fields=['expected_start_time', 'state_type', 'state_name', 'state_timestamp', 'start_time', 'total_run_time'], name='ix_task_run__running_expected'),
        ),
        migrations.RunPython(install, uninstall),
    ]
