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


def state_meta(run: str) -> type:
    """``Meta`` of the state table of ``run`` runs: a run is in one state per instant, and
    its history is searched by state type and name."""

    class Meta:
        db_table = f"{run}_state"
        constraints = [
            models.UniqueConstraint(fields=[run, "timestamp"], name=f"uq_{run}_state__{run}_id_timestamp")
        ]
        indexes = [models.Index(fields=[column], name=f"ix_{run}_state__{column}") for column in ("type", "name")]

    return Meta


class FlowRunState(StateBase):
    """One state a flow run has been in."""

    # The unique (run, timestamp) index serves lookups by run: no index of its own.
    flow_run = models.ForeignKey("api.FlowRun", on_delete=models.CASCADE, related_name="states", db_index=False)
    Meta = state_meta("flow_run")


class TaskRunState(StateBase):
    """One state a task run has been in."""

    # The unique (run, timestamp) index serves lookups by run: no index of its own.
    task_run = models.ForeignKey("api.TaskRun", on_delete=models.CASCADE, related_name="states", db_index=False)
    Meta = state_meta("task_run")


class TaskRunStateCache(ORMBaseModel):
    """Cache index: a completed task state reachable by its cache key."""

    cache_key = models.TextField()
    cache_expiration = models.DateTimeField(null=True, blank=True)
    task_run_state_id = models.UUIDField()

    class Meta:
        db_table = "task_run_state_cache"
        indexes = [models.Index(fields=["cache_key", "-created"], name="ix_task_cache__key_created")]
