"""``api.crud.notifications``: the queue hands out due rows oldest first under a lease,
counts attempts, and tells rows whose policy or state went away."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from api import models
from api.crud import notifications as crud
from tests.fixtures.rows import new_block_document, new_flow_run, new_notification_policy, state

pytestmark = pytest.mark.django_db

LEASE = dt.timedelta(minutes=5)


@pytest.fixture
def queued() -> list[models.FlowRunNotificationQueue]:
    """Two rows queued by orchestration: a run failing under a policy for every state."""
    policy = new_notification_policy(new_block_document())
    models.FlowRunNotificationQueue.objects.all().delete()
    new_flow_run(None, state("RUNNING"), state("FAILED"))
    rows = list(models.FlowRunNotificationQueue.objects.order_by("updated", "id"))
    assert rows and all(row.flow_run_notification_policy_id == policy.id for row in rows)
    return rows


def test_claims_come_oldest_first_and_a_claimed_row_waits_for_its_lease(queued):
    claimed = [crud.claim_next_notification(LEASE) for _ in queued]
    assert [row.id for row in claimed] == [row.id for row in queued]
    assert all(row.attempts == 1 and row.updated > timezone.now() for row in claimed)
    assert crud.claim_next_notification(LEASE) is None


def test_a_row_retried_later_is_claimed_again_with_one_more_attempt(queued):
    first = crud.claim_next_notification(LEASE)
    crud.retry_notification_later(first.id, timezone.now() - dt.timedelta(seconds=1))
    again = crud.claim_next_notification(LEASE)
    assert (again.id, again.attempts) == (first.id, 2)


def test_reading_a_claimed_row_and_dropping_it(queued):
    row = crud.claim_next_notification(LEASE)
    read = crud.read_queued_notification(row)
    assert read.queue_id == row.id and read.state.flow_run.flow is not None
    models.FlowRunNotificationPolicy.objects.all().delete()
    assert crud.read_queued_notification(row) is None
    crud.delete_notification(row.id)
    assert not models.FlowRunNotificationQueue.objects.filter(pk=row.id).exists()
