"""Flow run notification policies: create, read, filter, update, delete.

Message templates are checked when the body is parsed (``api.schemas.actions``); an
unknown block document is an integrity conflict (409).
"""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from django.db import IntegrityError
from django.utils import timezone

from api import models
from api.crud.filters import flow_run_notification_policy_filter_q
from api.schemas import actions, filters


def _check_block_document(block_document_id: Optional[UUID]) -> None:
    if block_document_id is not None and not models.BlockDocument.objects.filter(pk=block_document_id).exists():
        raise IntegrityError(f"Block document {block_document_id} does not exist.")


def create_policy(policy: actions.FlowRunNotificationPolicyCreate) -> models.FlowRunNotificationPolicy:
    """Insert a policy."""
    _check_block_document(policy.block_document_id)
    return models.FlowRunNotificationPolicy.objects.create(**policy.model_dump())


def read_policy(policy_id: UUID) -> Optional[models.FlowRunNotificationPolicy]:
    """The policy with this id, or None."""
    return models.FlowRunNotificationPolicy.objects.filter(pk=policy_id).first()


def read_policies(
    policy_filter: Optional[filters.FlowRunNotificationPolicyFilter], limit: int, offset: int
) -> list[models.FlowRunNotificationPolicy]:
    """Policies matching the filter, by id."""
    policies = models.FlowRunNotificationPolicy.objects.filter(flow_run_notification_policy_filter_q(policy_filter))
    return list(policies.order_by("id")[offset : offset + limit])


def update_policy(policy_id: UUID, update: actions.FlowRunNotificationPolicyUpdate) -> bool:
    """Write the keys sent; False if there is no such policy."""
    values = update.model_dump(exclude_unset=True)
    _check_block_document(values.get("block_document_id"))
    return models.FlowRunNotificationPolicy.objects.filter(pk=policy_id).update(**values, updated=timezone.now()) > 0


def delete_policy(policy_id: UUID) -> bool:
    """Delete the policy; False if there is none."""
    deleted, _ = models.FlowRunNotificationPolicy.objects.filter(pk=policy_id).delete()
    return deleted > 0
