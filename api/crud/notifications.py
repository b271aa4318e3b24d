"""The flow run notification queue: claiming, reading, retrying and removing rows.

Orchestration queues a row whenever a flow run enters a state a policy matches; the
sending service drains it here. A row is *claimed* by pushing its ``updated`` column
(the time it may next be claimed) forward by a lease, atomically: under
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, inside the ``BEGIN IMMEDIATE`` write lock on
SQLite. So two service processes never send the same notification, and a process that
dies mid-send only delays the row by the lease.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from api.models import FlowRunNotificationPolicy, FlowRunNotificationQueue, FlowRunState


@dataclass(frozen=True)
class QueuedNotification:
    """A claimed queue row with what its message is made of."""

    queue_id: UUID
    attempts: int
    policy: FlowRunNotificationPolicy
    state: FlowRunState


def claim_next_notification(lease: dt.timedelta) -> FlowRunNotificationQueue | None:
    """Claim the oldest row that is due, for ``lease``; None when nothing is due."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            FlowRunNotificationQueue.objects.filter(updated__lte=now)
            .order_by("updated", "id")
            .select_for_update(skip_locked=True)
            .first()
        )
        if row is None:
            return None
        FlowRunNotificationQueue.objects.filter(id=row.id).update(
            attempts=F("attempts") + 1, updated=now + lease
        )
    row.attempts += 1
    row.updated = now + lease
    return row


def read_queued_notification(row: FlowRunNotificationQueue) -> QueuedNotification | None:
    """The row's policy and state (with its run and flow).

    None when the policy or the state has been deleted since the row was queued.
    """
    policy = FlowRunNotificationPolicy.objects.filter(id=row.flow_run_notification_policy_id).first()
    state = FlowRunState.objects.select_related("flow_run__flow").filter(id=row.flow_run_state_id).first()
    if policy is None or state is None:
        return None
    return QueuedNotification(queue_id=row.id, attempts=row.attempts, policy=policy, state=state)


def retry_notification_later(queue_id: UUID, retry_at: dt.datetime) -> None:
    """Keep the row, to be claimed again from ``retry_at``."""
    FlowRunNotificationQueue.objects.filter(id=queue_id).update(updated=retry_at)


def delete_notification(queue_id: UUID) -> None:
    """Remove a row that was sent or given up on."""
    FlowRunNotificationQueue.objects.filter(id=queue_id).delete()
