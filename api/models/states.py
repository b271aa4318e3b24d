"""State history of flow runs and task runs, and the task cache index."""

from django.db import models

from api.models.base import ORMBaseModel


class StateBase(ORMBaseModel):
    """Abstract state row."""

    type = models.CharField(max_length=10)  # CANCELLING is ten characters
    timestamp = models.DateTimeField()
    name = models.TextField()
    message = models.TextField(null=True, blank=True)
    state_details = models.JSONField(default=dict)
    data = models.JSONField(null=True, blank=True)
    result_artifact = models.ForeignKey(
        "api.Artifact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"


class FlowRunState(StateBase):
    """One state a flow run has been in."""

    flow_run = models.ForeignKey("api.FlowRun", on_delete=models.CASCADE, related_name="states")

    class Meta:
        db_table = "flow_run_state"
        constraints = [
            models.UniqueConstraint(
                fields=["flow_run", "timestamp"], name="uq_flow_run_state__flow_run_id_timestamp"
            )
        ]
        indexes = [
            models.Index(fields=["type"], name="ix_flow_run_state__type"),
            models.Index(fields=["name"], name="ix_flow_run_state__name"),
        ]


class TaskRunState(StateBase):
    """One state a task run has been in."""

    task_run = models.ForeignKey("api.TaskRun", on_delete=models.CASCADE, related_name="states")

    class Meta:
        db_table = "task_run_state"
        constraints = [
            models.UniqueConstraint(
                fields=["task_run", "timestamp"], name="uq_task_run_state__task_run_id_timestamp"
            )
        ]
        indexes = [
            models.Index(fields=["type"], name="ix_task_run_state__type"),
            models.Index(fields=["name"], name="ix_task_run_state__name"),
        ]


class TaskRunStateCache(ORMBaseModel):
    """Cache index: a completed task state reachable by its cache key."""

    cache_key = models.TextField()
    cache_expiration = models.DateTimeField(null=True, blank=True)
    task_run_state_id = models.UUIDField()

    class Meta:
        db_table = "task_run_state_cache"
        indexes = [models.Index(fields=["cache_key", "-created"], name="ix_task_cache__key_created")]
