"""Time-ordered row ids, and no index that another index of its table leads with.

Both changes cut the cost of every insert on a large database (see ``api.utilities.ids``
and ``tests/db/test_index_prefixes.py``). Neither touches a row: the id default lives in
Python, so its change is recorded in the migration state only (on SQLite, Django would
otherwise copy all 24 tables to change it), and each index is dropped by name.
"""

from django.db import migrations, models

import api.utilities.ids

# Models whose primary key takes the new default.
MODELS_WITH_IDS = (
    "agent", "apitoken", "artifact", "blockdocument", "blockdocumentreference", "blockschema",
    "blockschemareference", "blocktype", "concurrencylimit", "configuration", "deployment", "flow",
    "flowrun", "flowrunnotificationpolicy", "flowrunnotificationqueue", "flowrunstate", "log",
    "savedsearch", "taskrun", "taskrunstate", "taskrunstatecache", "worker", "workpool", "workqueue",
)

# (model, foreign key, its index, table, column, target model, related name).
FOREIGN_KEYS = (
    ("blockdocument", "block_type", "block_document_block_type_id_8dee23d1", "block_document", "block_type_id",
     "api.BlockType", "block_documents"),
    ("deployment", "flow", "deployment_flow_id_68fbd509", "deployment", "flow_id", "api.Flow", "deployments"),
    ("flowrun", "flow", "flow_run_flow_id_26f66b23", "flow_run", "flow_id", "api.Flow", "flow_runs"),
    ("flowrunstate", "flow_run", "flow_run_state_flow_run_id_d93b6786", "flow_run_state", "flow_run_id",
     "api.FlowRun", "states"),
    ("taskrun", "flow_run", "task_run_flow_run_id_9be12154", "task_run", "flow_run_id", "api.FlowRun", "task_runs"),
    ("taskrunstate", "task_run", "task_run_state_task_run_id_ba3179b6", "task_run_state", "task_run_id",
     "api.TaskRun", "states"),
    ("workqueue", "work_pool", "work_queue_work_pool_id_22597085", "work_queue", "work_pool_id",
     "api.WorkPool", "work_queues"),
    ("worker", "work_pool", "worker_work_pool_id_0fead827", "worker", "work_pool_id", "api.WorkPool", "workers"),
)

# Indexes of Meta.indexes: (model, index, table, column).
PLAIN_INDEXES = (
    ("blockschema", "ix_block_schema__checksum", "block_schema", "checksum"),
    ("flowrun", "ix_flow_run__state_type", "flow_run", "state_type"),
)


def _drop(index: str, table: str, column: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        f'DROP INDEX IF EXISTS "{index}"', reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("{column}")'
    )


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0080_sqlite_search_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name=model,
                    name="id",
                    field=models.UUIDField(
                        default=api.utilities.ids.new_id, editable=False, primary_key=True, serialize=False
                    ),
                )
                for model in MODELS_WITH_IDS
            ]
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                *(
                    migrations.AlterField(
                        model_name=model,
                        name=field,
                        field=models.ForeignKey(
                            db_index=False,
                            on_delete=models.deletion.CASCADE,
                            related_name=related_name,
                            to=target,
                        ),
                    )
                    for model, field, _, _, _, target, related_name in FOREIGN_KEYS
                ),
                *(migrations.RemoveIndex(model_name=model, name=index) for model, index, _, _ in PLAIN_INDEXES),
            ],
            database_operations=[
                *(_drop(index, table, column) for _, _, index, table, column, _, _ in FOREIGN_KEYS),
                *(_drop(index, table, column) for _, index, table, column in PLAIN_INDEXES),
            ],
        ),
    ]
