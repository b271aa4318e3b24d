"""Data migration: a fresh database holds ``default-agent-pool`` and its ``default`` queue,
as the original's does, so ``prefect work-pool ls`` and ``prefect work-queue ls`` list
them before any agent or deployment has run.

The rows are the ones ``api.crud.work_pools.get_or_create_default_agent_pool`` writes
(that stays the one runtime path, for a database whose pool was deleted since); the
names come from that module so the two cannot drift apart.
"""

from django.db import migrations

from api.crud.work_pools import (
    DEFAULT_AGENT_WORK_POOL_NAME,
    DEFAULT_AGENT_WORK_POOL_TYPE,
    DEFAULT_QUEUE_DESCRIPTION,
    DEFAULT_QUEUE_NAME,
)


def create_default_agent_pool(apps, schema_editor):
    """Insert the pool and its default queue at priority 1, unless the pool exists."""
    WorkPool = apps.get_model("api", "WorkPool")
    WorkQueue = apps.get_model("api", "WorkQueue")
    if WorkPool.objects.filter(name=DEFAULT_AGENT_WORK_POOL_NAME).exists():
        return
    pool = WorkPool.objects.create(name=DEFAULT_AGENT_WORK_POOL_NAME, type=DEFAULT_AGENT_WORK_POOL_TYPE)
    queue = WorkQueue.objects.create(
        work_pool=pool, name=DEFAULT_QUEUE_NAME, description=DEFAULT_QUEUE_DESCRIPTION, priority=1
    )
    WorkPool.objects.filter(pk=pool.pk).update(default_queue=queue)


def delete_default_agent_pool(apps, schema_editor):
    """Reverse: remove the pool with its queues (runs keep their rows, as on a pool delete)."""
    WorkPool = apps.get_model("api", "WorkPool")
    pools = WorkPool.objects.filter(name=DEFAULT_AGENT_WORK_POOL_NAME)
    pools.update(default_queue=None)
    pools.delete()


class Migration(migrations.Migration):
    dependencies = [("api", "0060_service_lease")]

    operations = [migrations.RunPython(create_default_agent_pool, delete_default_agent_pool)]
