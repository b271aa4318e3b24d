"""Log lines sent by flow and task runs."""

from django.db import models

from api.models.base import ORMBaseModel


class Log(ORMBaseModel):
    """One log line. Run ids are not foreign keys (logs may arrive before or after runs);
    deleting a run deletes its logs explicitly."""

    name = models.TextField()
    level = models.SmallIntegerField()
    message = models.TextField()
    timestamp = models.DateTimeField()
    flow_run_id = models.UUIDField()
    task_run_id = models.UUIDField(null=True, blank=True)

    class Meta:
        db_table = "log"
        indexes = [
            models.Index(fields=["flow_run_id", "timestamp"], name="ix_log__flow_run_id_ts"),
            models.Index(fields=["task_run_id"], name="ix_log__task_run_id"),
            models.Index(fields=["level"], name="ix_log__level"),
            models.Index(fields=["timestamp"], name="ix_log__timestamp"),
            # The crashed-runs service asks "did the server receive a log for this run lately?".
            models.Index(fields=["flow_run_id", "created"], name="ix_log__flow_run_id_created"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.message[:60]}"
