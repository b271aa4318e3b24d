"""Artifacts (results and user artifacts)."""

from django.db import models
from django.db.models.fields.json import KT

from api.models.base import ORMBaseModel


class Artifact(ORMBaseModel):
    """An artifact; run ids are not foreign keys, as in the original."""

    key = models.TextField(null=True, blank=True)
    type = models.TextField(null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    data = models.JSONField(null=True, blank=True)
    # The wire name is ``metadata_``; Django forbids a trailing underscore in field names.
    metadata = models.JSONField(null=True, blank=True, db_column="metadata_")
    flow_run_id = models.UUIDField(null=True, blank=True)
    task_run_id = models.UUIDField(null=True, blank=True)

    class Meta:
        db_table = "artifact"
        indexes = [
            models.Index(fields=["key"], name="ix_artifact__key"),
            models.Index(fields=["flow_run_id"], name="ix_artifact__flow_run_id"),
            models.Index(fields=["task_run_id"], name="ix_artifact__task_run_id"),
            # Result artifacts name their storage block document; deleting runs asks which
            # anonymous documents some artifact still needs.
            models.Index(KT("data__storage_block_id"), name="ix_artifact__storage_block_id"),
        ]

    def __str__(self) -> str:
        return self.key or str(self.id)
