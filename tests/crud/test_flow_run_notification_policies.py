"""``api.crud.flow_run_notification_policies``: a policy needs an existing block document;
partial updates; deletes."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError

from api.crud import flow_run_notification_policies as crud
from api.schemas.actions import FlowRunNotificationPolicyCreate, FlowRunNotificationPolicyUpdate
from tests.fixtures.rows import new_block_document, new_notification_policy, not_found

pytestmark = pytest.mark.django_db


def test_a_policy_for_a_missing_block_document_is_refused():
    with pytest.raises(IntegrityError):
        crud.create_policy(FlowRunNotificationPolicyCreate(state_names=[], tags=[], block_document_id=uuid.uuid4()))


def test_update_changes_the_keys_sent_and_delete_reports_missing_policies():
    policy = new_notification_policy(new_block_document(), state_names=["Failed"], tags=["prod"])
    crud.update_policy(policy.id, FlowRunNotificationPolicyUpdate(is_active=False))
    policy.refresh_from_db()
    assert (policy.is_active, policy.state_names, policy.tags) == (False, ["Failed"], ["prod"])
    missing = uuid.uuid4()
    with not_found(f"Flow run notification policy {missing} not found"):
        crud.update_policy(missing, FlowRunNotificationPolicyUpdate(is_active=True))
    crud.delete_policy(policy.id)
    with not_found("flow run notification policy not found"):
        crud.delete_policy(policy.id)
    with not_found("flow run notification policy not found"):
        crud.get_policy(policy.id)
