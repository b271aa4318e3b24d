"""Work pools, their queues, workers, and agents."""

from django.db import models

from api.models.base import NamedModel


class WorkPool(NamedModel):
    """A pool of work queues served by workers of one type."""

    description = models.TextField(null=True, blank=True)
    type = models.TextField()
    base_job_template = models.JSONField(default=dict)
    is_paused = models.BooleanField(default=False)
    concurrency_limit = models.IntegerField(null=True, blank=True)
    default_queue = models.ForeignKey(
        "api.WorkQueue", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "work_pool"
        constraints = [models.UniqueConstraint(fields=["name"], name="uq_work_pool__name")]
        indexes = [models.Index(fields=["type"], name="ix_work_pool__type")]


class WorkQueue(NamedModel):
    """A queue of scheduled runs inside a pool, polled by agents or workers."""

    # The unique (pool, name) index serves lookups by pool.
    work_pool = models.ForeignKey("api.WorkPool", on_delete=models.CASCADE, related_name="work_queues", db_index=False)
    description = models.TextField(default="", blank=True)
    is_paused = models.BooleanField(default=False)
    concurrency_limit = models.IntegerField(null=True, blank=True)
    priority = models.IntegerField()
    filter = models.JSONField(null=True, blank=True)
    last_polled = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "work_queue"
        constraints = [models.UniqueConstraint(fields=["work_pool", "name"], name="uq_work_queue__work_pool_id_name")]
        indexes = [
            models.Index(fields=["work_pool", "priority"], name="ix_work_queue__pool_priority"),
            models.Index(fields=["name"], name="ix_work_queue__name"),
        ]


class Worker(NamedModel):
    """A worker that heartbeats into a pool."""

    # The unique (pool, name) index serves lookups by pool.
    work_pool = models.ForeignKey("api.WorkPool", on_delete=models.CASCADE, related_name="workers", db_index=False)
    last_heartbeat_time = models.DateTimeField()

    class Meta:
        db_table = "worker"
        constraints = [models.UniqueConstraint(fields=["work_pool", "name"], name="uq_worker__work_pool_id_name")]
        indexes = [models.Index(fields=["last_heartbeat_time"], name="ix_worker__last_heartbeat")]


class Agent(NamedModel):
    """An agent that polled a work queue (written by ``get_runs`` with ``agent_id``)."""

    work_queue = models.ForeignKey("api.WorkQueue", on_delete=models.CASCADE, related_name="agents")
    last_activity_time = models.DateTimeField()

    class Meta:
        db_table = "agent"
        constraints = [models.UniqueConstraint(fields=["name"], name="uq_agent__name")]
