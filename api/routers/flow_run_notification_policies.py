"""Flow run notification policy routes (``/flow_run_notification_policies``)."""

from __future__ import annotations

from typing import Optional
from uuid import UUID

from django.http import HttpRequest
from pydantic import Field

from api.crud import flow_run_notification_policies as policies
from api.dependencies import write_transaction
from api.schemas import actions, filters
from api.schemas.base import Limit, Offset, RequestBody
from api.schemas.core import FlowRunNotificationPolicy
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/flow_run_notification_policies", tags=["Flow Run Notification Policies"])


class PolicyFilterRequest(RequestBody):
    """Body of ``POST /flow_run_notification_policies/filter``."""

    flow_run_notification_policy_filter: Optional[filters.FlowRunNotificationPolicyFilter] = None
    limit: Limit = Field(default=None, validate_default=True)
    offset: Offset = 0


@router.post("/", status_code=201)
def create_flow_run_notification_policy(
    request: HttpRequest, policy: actions.FlowRunNotificationPolicyCreate
) -> FlowRunNotificationPolicy:
    """Create a policy (an unknown block document is a 409)."""
    write_transaction(request)
    return FlowRunNotificationPolicy.model_validate(policies.create_policy(policy))


@router.post("/filter")
def read_flow_run_notification_policies(
    request: HttpRequest, body: PolicyFilterRequest
) -> list[FlowRunNotificationPolicy]:
    """Policies matching the filter, by id."""
    rows = policies.read_policies(
        policy_filter=body.flow_run_notification_policy_filter, limit=body.limit, offset=body.offset
    )
    return [FlowRunNotificationPolicy.model_validate(row) for row in rows]


@router.patch("/{id}", status_code=204)
def update_flow_run_notification_policy(
    request: HttpRequest, id: UUID, policy: actions.FlowRunNotificationPolicyUpdate
) -> None:
    """Write the fields sent."""
    write_transaction(request)
    policies.update_policy(id, policy)


@router.get("/{id}")
def read_flow_run_notification_policy(request: HttpRequest, id: UUID) -> FlowRunNotificationPolicy:
    """The policy with this id."""
    return FlowRunNotificationPolicy.model_validate(policies.get_policy(id))


@router.delete("/{id}", status_code=204)
def delete_flow_run_notification_policy(request: HttpRequest, id: UUID) -> None:
    """Delete the policy."""
    write_transaction(request)
    policies.delete_policy(id)
