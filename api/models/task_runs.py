"""Task runs."""

from django.db import models

from api.models.runs import RunBase, run_indexes, running_index


class TaskRun(RunBase):
    """One run of a task inside a flow run."""

    # The unique (flow run, task key, dynamic key) index serves lookups by flow run.
    flow_run = models.ForeignKey("api.FlowRun", on_delete=models.CASCADE, related_name="task_runs", db_index=False)
    state = models.ForeignKey(
        "api.TaskRunState", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    task_key = models.TextField()
    dynamic_key = models.TextField()
    cache_key = models.TextField(null=True, blank=True)
    cache_expiration = models.DateTimeField(null=True, blank=True)
    task_version = models.TextField(null=True, blank=True)
    flow_run_run_count = models.IntegerField(default=0)
    task_inputs = models.JSONField(default=dict)

    class Meta:
        db_table = "task_run"
        constraints = [
            models.UniqueConstraint(
                fields=["flow_run", "task_key", "dynamic_key"],
                name="uq_task_run__flow_run_id_task_key_dynamic_key",
            )
        ]
        indexes = [
            *run_indexes("task_run"),
            # The crashed-runs service asks "did any task of this flow run move lately?".
            models.Index(fields=["flow_run", "state_timestamp"], name="ix_task_run__flow_run_state_ts"),
            running_index("task_run"),
        ]
