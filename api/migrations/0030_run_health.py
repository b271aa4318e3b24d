"""Indexes of run health and retention (issue 11): the crashed-runs service's activity
checks, and the lookup of artifacts by their storage block document."""

import django.db.models.fields.json
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0050_default_agent_pool'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='log',
            index=models.Index(fields=['flow_run_id', 'created'], name='ix_log__flow_run_id_created'),
        ),
        migrations.AddIndex(
            model_name='taskrun',
            index=models.Index(fields=['flow_run', 'state_timestamp'], name='ix_task_run__flow_run_state_ts'),
        ),
        migrations.AddIndex(
            model_name='artifact',
            index=models.Index(
                django.db.models.fields.json.KeyTextTransform('storage_block_id', 'data'),
                name='ix_artifact__storage_block_id',
            ),
        ),
    ]
