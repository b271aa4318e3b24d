"""Flow runs."""

from django.db import models
from django.db.models.functions import Coalesce

from api.models.blocks import optional_block_document
from api.models.runs import RunBase, run_indexes, running_index


class FlowRun(RunBase):
    """One run of a flow."""

    # The unique (flow, idempotency key) index serves lookups by flow.
    flow = models.ForeignKey("api.Flow", on_delete=models.CASCADE, related_name="flow_runs", db_index=False)
    state = models.ForeignKey(
        "api.FlowRunState", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # No foreign key, as in the original: a run outlives its deployment.
    deployment_id = models.UUIDField(null=True, blank=True)
    work_queue_name = models.TextField(null=True, blank=True)
    work_queue = models.ForeignKey(
        "api.WorkQueue", null=True, blank=True, on_delete=models.SET_NULL, related_name="flow_runs"
    )
    flow_version = models.TextField(null=True, blank=True)
    parameters = models.JSONField(default=dict)
    idempotency_key = models.TextField(null=True, blank=True)
    context = models.JSONField(default=dict)
    parent_task_run = models.ForeignKey(
        "api.TaskRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="subflow_runs"
    )
    auto_scheduled = models.BooleanField(default=False)
    infrastructure_document = optional_block_document()
    infrastructure_pid = models.TextField(null=True, blank=True)
    created_by = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "flow_run"
        constraints = [
            models.UniqueConstraint(
                fields=["flow", "idempotency_key"], name="uq_flow_run__flow_id_idempotency_key"
            )
        ]
        indexes = [
            *run_indexes("flow_run", skip=("state_type",)),  # the state tab indexes lead with it
            models.Index(fields=["deployment_id"], name="ix_flow_run__deployment_id"),
            models.Index(fields=["work_queue_name"], name="ix_flow_run__work_queue_name"),
            models.Index(fields=["flow_version"], name="ix_flow_run__flow_version"),
            models.Index(
                Coalesce("start_time", "expected_start_time"), name="ix_flow_run__coalesce_start"
            ),
            # The runs page's state tabs: one state type, newest first, without a sort
            # over every run of that type (0070_read_indexes).
            models.Index(fields=["state_type", "end_time"], name="ix_flow_run__type_end"),
            models.Index(
                "state_type", Coalesce("start_time", "expected_start_time"), name="ix_flow_run__type_start"
            ),
            # The scheduler and the late-runs service scan scheduled runs by time.
            models.Index(
                fields=["state_type", "next_scheduled_start_time"], name="ix_flow_run__type_next"
            ),
            running_index("flow_run"),
        ]
