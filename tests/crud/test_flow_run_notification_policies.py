"""``api.crud.flow_run_notification_policies``: a policy needs an existing block document;
partial updates; deletes."""

from __future__ import annotations

import uuid

import pytest

from api.crud import flow_run_notification_policies as crud
from api.schemas.actions import FlowRunNotificationPolicyCreate, FlowRunNotificationPolicyUpdate
from tests.fixtures.rows import REFUSED, new_block_document, new_notification_policy

pytestmark = pytest.mark.django_db


def test_a_policy_for_a_missing_block_document_is_refused():
    with pytest.raises(REFUSED):
        crud.create_policy(FlowRunNotificationPolicyCreate(state_names=[], tags=[], block_document_id=uuid.uuid4()))


def test_update_changes_the_keys_sent_and_delete_reports_missing_policies():
    policy = new_notification_policy(new_block_document(), state_names=["Failed"], tags=["prod"])
    assert crud.update_policy(policy.id, FlowRunNotificationPolicyUpdate(is_active=False)) is True
    policy.refresh_from_db()
    assert (policy.is_active, policy.state_names, policy.tags) == (False, ["Failed"], ["prod"])
    assert crud.update_policy(uuid.uuid4(), FlowRunNotificationPolicyUpdate(is_active=True)) is False
    assert crud.delete_policy(policy.id) is True
    assert crud.delete_policy(policy.id) is False and crud.read_policy(policy.id) is None
