"""Flow run notification policies and their send queue."""

from django.db import models

from api.models.base import ORMBaseModel


class FlowRunNotificationPolicy(ORMBaseModel):
    """Send a notification through a block when a run enters one of ``state_names``."""

    is_active = models.BooleanField(default=True)
    state_names = models.JSONField(default=list)
    tags = models.JSONField(default=list)
    message_template = models.TextField(null=True, blank=True)
    block_document = models.ForeignKey(
        "api.BlockDocument", on_delete=models.CASCADE, related_name="notification_policies"
    )

    class Meta:
        db_table = "flow_run_notification_policy"

    def __str__(self) -> str:
        return f"{', '.join(self.state_names)} -> {self.block_document_id}"


class FlowRunNotificationQueue(ORMBaseModel):
    """A notification to send: a policy matched a new flow run state (no FKs, as the original)."""

    flow_run_notification_policy_id = models.UUIDField()
    flow_run_state_id = models.UUIDField()
    # Failed sends are retried a bounded number of times; ``updated`` is when the row may
    # next be claimed (the sending service pushes it forward while it works on it).
    attempts = models.IntegerField(default=0)

    class Meta:
        db_table = "flow_run_notification_queue"
        indexes = [models.Index(fields=["created"], name="ix_notification_queue__created")]
