"""Websocket application for live updates (run and log changes pushed to the UI).

A page connects to ``ws://host/api/live`` and sends ``{"subscribe": "flow_runs"}`` or
``{"subscribe": "flow_run.<id>"}`` (and ``{"unsubscribe": ...}`` when it moves on). The
consumer joins the matching channel-layer group, answers ``{"subscribed": <group>}``, and
forwards every ``orion.event`` published to the group by :mod:`api.events` as the event
dict itself. Events say *what* changed, never the data: the page refetches what it shows.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.generic.websocket import JsonWebsocketConsumer
from channels.routing import URLRouter
from django.urls import path

from api.events import FLOW_RUNS_GROUP, flow_run_group

# A page follows the runs list plus a handful of runs; the cap bounds what one socket
# can make the channel layer hold.
MAX_SUBSCRIPTIONS = 50
_RUN_GROUP = re.compile(r"^flow_run\.(?P<id>[0-9a-fA-F-]{32,36})$")


def group_for(name: Any) -> str | None:
    """The channel-layer group a subscription name stands for, or None if it is unknown."""
    if name == FLOW_RUNS_GROUP:
        return FLOW_RUNS_GROUP
    if not isinstance(name, str):
        return None
    match = _RUN_GROUP.match(name)
    if match is None:
        return None
    try:
        return flow_run_group(uuid.UUID(match["id"]))
    except ValueError:
        return None


class LiveUpdatesConsumer(JsonWebsocketConsumer):
    """One browser connection: its subscriptions, and the events forwarded to it."""

    def connect(self) -> None:
        """Accept the connection with no subscriptions yet."""
        self.subscriptions: set[str] = set()
        self.accept()

    def disconnect(self, code: int) -> None:
        """Leave every group this connection joined."""
        for group in getattr(self, "subscriptions", set()):
            async_to_sync(self.channel_layer.group_discard)(group, self.channel_name)
        self.subscriptions = set()

    def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Handle ``subscribe`` / ``unsubscribe`` requests; answer anything else with an error."""
        if not isinstance(content, dict) or not ({"subscribe", "unsubscribe"} & content.keys()):
            self.send_json({"error": "Expected {\"subscribe\": <name>} or {\"unsubscribe\": <name>}."})
            return
        if "subscribe" in content:
            self._subscribe(content["subscribe"])
        if "unsubscribe" in content:
            self._unsubscribe(content["unsubscribe"])

    def _subscribe(self, name: Any) -> None:
        group = group_for(name)
        if group is None:
            self.send_json({"error": f"Unknown subscription {name!r}."})
            return
        if group not in self.subscriptions:
            if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
                self.send_json({"error": f"At most {MAX_SUBSCRIPTIONS} subscriptions per connection."})
                return
            async_to_sync(self.channel_layer.group_add)(group, self.channel_name)
            self.subscriptions.add(group)
        self.send_json({"subscribed": group})

    def _unsubscribe(self, name: Any) -> None:
        group = group_for(name)
        if group is not None and group in self.subscriptions:
            async_to_sync(self.channel_layer.group_discard)(group, self.channel_name)
            self.subscriptions.discard(group)
        self.send_json({"unsubscribed": group or name})

    def orion_event(self, message: dict[str, Any]) -> None:
        """Forward an event published by :mod:`api.events` to the browser."""
        self.send_json(message["event"])


def websocket_application() -> Any:
    """The websocket side of the ASGI application."""
    return URLRouter([path("api/live", LiveUpdatesConsumer.as_asgi())])
