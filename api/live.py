"""Websocket application for live updates (run and log changes pushed to the UI)."""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import JsonWebsocketConsumer
from channels.routing import URLRouter
from django.urls import path


class LiveUpdatesConsumer(JsonWebsocketConsumer):
    """Accepts UI connections; subscriptions and pushes are added by the UI issue."""

    def connect(self) -> None:
        """Accept the connection."""
        self.accept()


def websocket_application() -> Any:
    """The websocket side of the ASGI application."""
    return URLRouter([path("api/live", LiveUpdatesConsumer.as_asgi())])
