"""Flow run notification policies: create, read, filter, update, delete.

Message templates are checked when the body is parsed (``api.schemas.actions``); an
unknown block document is an ``IntegrityError`` (the server's generic conflict answer).
"""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from django.db import IntegrityError
from django.utils import timezone

from api import models
from api.crud.filters import flow_run_notification_policy_filter_q
from api.crud.lookups import delete_or_not_found, first_or_not_found, update_or_not_found
from api.crud.paging import page
from api.schemas import actions, filters

POLICY_NOT_FOUND = "flow run notification policy not found"
POLICY_ID_NOT_FOUND = "Flow run notification policy {id} not found"


def _check_block_document(block_document_id: Optional[UUID]) -> None:
    if block_document_id is not None and not models.BlockDocument.objects.filter(pk=block_document_id).exists():
        raise IntegrityError(f"Block document {block_document_id} does not exist.")


def create_policy(policy: actions.FlowRunNotificationPolicyCreate) -> models.FlowRunNotificationPolicy:
    """Insert a policy."""
    _check_block_document(policy.block_document_id)
    return models.FlowRunNotificationPolicy.objects.create(**policy.model_dump())


def get_policy(policy_id: UUID) -> models.FlowRunNotificationPolicy:
    """The policy with this id; ``NotFoundError`` if there is none."""
    return first_or_not_found(models.FlowRunNotificationPolicy.objects.filter(pk=policy_id), POLICY_NOT_FOUND)


def read_policies(
    policy_filter: Optional[filters.FlowRunNotificationPolicyFilter] = None,
    limit: Optional[int] = None,
    offset: int = 0,
) -> list[models.FlowRunNotificationPolicy]:
    """Policies matching the filter, by id."""
    policies = models.FlowRunNotificationPolicy.objects.filter(flow_run_notification_policy_filter_q(policy_filter))
    return page(policies.order_by("id"), offset, limit)


def update_policy(policy_id: UUID, update: actions.FlowRunNotificationPolicyUpdate) -> None:
    """Write the keys sent; ``NotFoundError`` if there is no such policy."""
    values = update.model_dump(exclude_unset=True)
    _check_block_document(values.get("block_document_id"))
    update_or_not_found(
        models.FlowRunNotificationPolicy.objects.filter(pk=policy_id),
        POLICY_ID_NOT_FOUND.format(id=policy_id),
        **values,
        updated=timezone.now(),
    )


def delete_policy(policy_id: UUID) -> None:
    """Delete the policy; ``NotFoundError`` if there is none."""
    delete_or_not_found(models.FlowRunNotificationPolicy.objects.filter(pk=policy_id), POLICY_NOT_FOUND)
