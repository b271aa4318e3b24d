"""Criteria of flow run notification policies."""

from __future__ import annotations

from typing import Optional

from django.db.models import Q

from api.crud.filters.common import equals
from api.schemas import filters as f


def flow_run_notification_policy_filter_q(flt: Optional[f.FlowRunNotificationPolicyFilter]) -> Q:
    """Criteria of a ``FlowRunNotificationPolicyFilter`` on notification policies."""
    return Q() if flt is None else equals("is_active", flt.is_active)
