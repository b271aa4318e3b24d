"""FlowRunNotifications: send the notifications orchestration queued.

Every ``PREFECT_API_SERVICES_FLOW_RUN_NOTIFICATIONS_LOOP_SECONDS`` (4 s) the queue is
drained: each row is claimed, its message rendered from the policy's template (or the
default one) and sent through the policy's notification block over HTTP. A failed send is
logged and retried later, up to ``MAX_ATTEMPTS`` times; a row whose policy, state or block
is gone, or whose block cannot notify, is logged and dropped. Nothing here stops the loop.

Supported blocks: ``slack-webhook`` and ``mattermost-webhook`` (``{"text": ...}``),
``ms-teams-webhook`` (a message card) and the generic ``webhook`` block (its method, URL
and headers; JSON ``{"subject": ..., "body": ...}``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx
from django.conf import settings
from django.utils import timezone

from api.crud import block_documents, notifications
from api.schemas.base import format_datetime
from api.services.base import LoopService

if TYPE_CHECKING:
    from api.models import FlowRunNotificationQueue

logger = logging.getLogger("orion.services")

SUBJECT = "Prefect flow run notification"
DEFAULT_MESSAGE_TEMPLATE = (
    "Flow run {flow_name}/{flow_run_name} entered state `{flow_run_state_name}` at "
    "{flow_run_state_timestamp}.\n"
    "\n"
    "Flow ID: {flow_id}\n"
    "Flow run ID: {flow_run_id}\n"
    "Flow run URL: {flow_run_url}\n"
    "State message: {flow_run_state_message}"
)
# Sends per row before it is dropped, and how long a claim lasts (longer than a send).
MAX_ATTEMPTS = 3
RETRY_DELAY = dt.timedelta(seconds=30)
CLAIM_LEASE = dt.timedelta(seconds=60)
HTTP_TIMEOUT = 10.0


class NotificationError(Exception):
    """A notification that can never be sent (retrying would not help)."""


def flow_run_url(flow_run_id: Any) -> str:
    """Link to the run in the UI."""
    base = (settings.PREFECT_UI_URL or "http://ephemeral-prefect/api").rstrip("/")
    return f"{base}/flow-runs/flow-run/{flow_run_id}"


def render_message(queued: notifications.QueuedNotification) -> str:
    """The policy's template (or the default) filled with the run and state."""
    state = queued.state
    flow_run = state.flow_run
    variables = {
        "flow_run_notification_policy_id": queued.policy.id,
        "flow_id": flow_run.flow_id,
        "flow_name": flow_run.flow.name,
        "flow_run_url": flow_run_url(flow_run.id),
        "flow_run_id": flow_run.id,
        "flow_run_name": flow_run.name,
        "flow_run_parameters": flow_run.parameters,
        "flow_run_state_type": state.type,
        "flow_run_state_name": state.name,
        "flow_run_state_timestamp": format_datetime(state.timestamp),
        "flow_run_state_message": state.message,
    }
    template = queued.policy.message_template or DEFAULT_MESSAGE_TEMPLATE
    try:
        return template.format(**variables)
    except (KeyError, IndexError, ValueError) as exc:
        raise NotificationError(f"message template cannot be rendered: {exc!r}") from exc


class Delivery(NamedTuple):
    """One HTTP request that delivers a message."""

    method: str
    url: str
    json: dict[str, Any]
    headers: Mapping[str, str] = {}


def _post_text(data: dict[str, Any], subject: str, body: str) -> Delivery:
    return Delivery("POST", data["url"], {"text": body})


def _ms_teams(data: dict[str, Any], subject: str, body: str) -> Delivery:
    card = {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": subject,
        "title": subject,
        "text": body,
    }
    return Delivery("POST", data["url"], card)


def _mattermost(data: dict[str, Any], subject: str, body: str) -> Delivery:
    port = int(data.get("port") or 8065)
    scheme = "https" if port == 443 else "http"
    path = (data.get("path") or "").strip("/")
    prefix = f"/{path}" if path else ""
    payload: dict[str, Any] = {"text": body}
    if data.get("botname"):
        payload["username"] = data["botname"]
    if data.get("channels"):
        payload["channel"] = data["channels"][0]
    url = f"{scheme}://{data['hostname']}:{port}{prefix}/hooks/{data['token']}"
    return Delivery("POST", url, payload)


def _webhook(data: dict[str, Any], subject: str, body: str) -> Delivery:
    return Delivery(
        data.get("method") or "POST",
        data["url"],
        {"subject": subject, "body": body},
        dict(data.get("headers") or {}),
    )


# How each notification block type turns a message into an HTTP request.
NOTIFIERS: dict[str, Callable[[dict[str, Any], str, str], Delivery]] = {
    "slack-webhook": _post_text,
    "ms-teams-webhook": _ms_teams,
    "mattermost-webhook": _mattermost,
    "webhook": _webhook,
}


def build_delivery(block_type_slug: str, data: dict[str, Any], subject: str, body: str) -> Delivery:
    """The HTTP request that delivers a message through a block of this type."""
    notifier = NOTIFIERS.get(block_type_slug)
    if notifier is None:
        raise NotificationError(f"blocks of type {block_type_slug!r} cannot send notifications")
    try:
        return notifier(data, subject, body)
    except (KeyError, TypeError, ValueError) as exc:
        raise NotificationError(f"the {block_type_slug!r} block is incomplete: {exc!r}") from exc


class FlowRunNotifications(LoopService):
    """Drain the flow run notification queue."""

    settings_prefix = "PREFECT_API_SERVICES_FLOW_RUN_NOTIFICATIONS"
    default_loop_seconds = 4.0

    def run_once(self) -> None:
        """Send every notification that is due; rows retried later wait for a later pass."""
        with httpx.Client(timeout=HTTP_TIMEOUT) as client:
            while (row := notifications.claim_next_notification(CLAIM_LEASE)) is not None:
                self.deliver(client, row)

    def deliver(self, client: httpx.Client, row: FlowRunNotificationQueue) -> None:
        """Send one claimed row; delete it, or keep it for a retry if sending failed."""
        if row.attempts > MAX_ATTEMPTS:
            # Claimed that often without an outcome: a process died while sending it.
            logger.error("Dropping notification %s after %d attempts", row.id, MAX_ATTEMPTS)
            notifications.delete_notification(row.id)
            return
        queued = notifications.read_queued_notification(row)
        if queued is None:
            logger.info("Dropping notification %s: its policy or flow run state is gone", row.id)
            notifications.delete_notification(row.id)
            return
        try:
            self.send(client, queued)
        except NotificationError as exc:
            logger.error("Dropping notification for policy %s: %s", queued.policy.id, exc)
        except Exception as exc:  # noqa: BLE001 - network or unexpected: retry, never stop the pass
            if queued.attempts < MAX_ATTEMPTS:
                logger.warning(
                    "Notification for policy %s failed (attempt %d of %d), will retry: %r",
                    queued.policy.id,
                    queued.attempts,
                    MAX_ATTEMPTS,
                    exc,
                )
                notifications.retry_notification_later(row.id, timezone.now() + RETRY_DELAY * queued.attempts)
                return
            logger.error(
                "Giving up on notification for policy %s after %d attempts: %r", queued.policy.id, queued.attempts, exc
            )
        notifications.delete_notification(row.id)

    @staticmethod
    def send(client: httpx.Client, queued: notifications.QueuedNotification) -> None:
        """Render the message and send it through the policy's block."""
        block = block_documents.read_block_document(queued.policy.block_document_id, include_secrets=True)
        if block is None or block.block_type is None:
            raise NotificationError(f"block document {queued.policy.block_document_id} not found")
        message = render_message(queued)
        delivery = build_delivery(block.block_type.slug, block.data, SUBJECT, message)
        try:
            response = client.request(delivery.method, delivery.url, headers=delivery.headers, json=delivery.json)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise NotificationError(f"the block's URL cannot be used: {exc}") from exc
        response.raise_for_status()
