"""Deployments."""

from django.db import models

from api.models.base import NamedModel
from api.models.blocks import optional_block_document


class Deployment(NamedModel):
    """A flow packaged to run on a schedule or on demand."""

    # The unique (flow, name) index serves lookups by flow.
    flow = models.ForeignKey("api.Flow", on_delete=models.CASCADE, related_name="deployments", db_index=False)
    version = models.TextField(null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    manifest_path = models.TextField(null=True, blank=True)
    path = models.TextField(null=True, blank=True)
    entrypoint = models.TextField(null=True, blank=True)
    schedule = models.JSONField(null=True, blank=True)
    is_schedule_active = models.BooleanField(default=True)
    tags = models.JSONField(default=list)
    parameters = models.JSONField(default=dict)
    parameter_openapi_schema = models.JSONField(null=True, blank=True)
    infra_overrides = models.JSONField(default=dict)
    work_queue_name = models.TextField(null=True, blank=True)
    work_queue = models.ForeignKey(
        "api.WorkQueue", null=True, blank=True, on_delete=models.SET_NULL, related_name="deployments"
    )
    storage_document = optional_block_document()
    infrastructure_document = optional_block_document()
    created_by = models.JSONField(null=True, blank=True)
    updated_by = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "deployment"
        constraints = [models.UniqueConstraint(fields=["flow", "name"], name="uq_deployment__flow_id_name")]
        indexes = [
            models.Index(fields=["created"], name="ix_deployment__created"),
            models.Index(fields=["name"], name="ix_deployment__name"),
            models.Index(fields=["work_queue_name"], name="ix_deployment__work_queue_name"),
        ]
