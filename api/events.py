"""Live-update events: what changed, pushed to websocket subscribers after commit.

Writers (crud, orchestration, services) call these functions inside their transaction;
the message goes out through the channel layer only once the transaction commits, so a
subscriber never sees a change that was rolled back. Group names are the contract with
``api.live``: ``flow_runs`` (every flow run state change), ``flow_run.<id>`` (a run's
own state changes, its task runs' and its logs).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

logger = logging.getLogger("orion.events")

FLOW_RUNS_GROUP = "flow_runs"


def flow_run_group(flow_run_id: UUID | str) -> str:
    """The group of one flow run's events."""
    return f"flow_run.{flow_run_id}"


_server_loop: asyncio.AbstractEventLoop | None = None


def bind_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Publish through the server's event loop (the in-memory channel layer lives there)."""
    global _server_loop
    _server_loop = loop


def _listened(layer: Any, groups: Iterable[str]) -> list[str]:
    """The groups worth a message: all of them, but for the in-memory layer (this process
    alone) only those with a member. Most writes have no live subscriber, and skipping
    them saves waking the event loop for nothing."""
    if isinstance(layer, InMemoryChannelLayer):
        return [group for group in groups if layer.groups.get(group)]
    return list(groups)


async def _publish(layer: Any, groups: list[str], envelope: dict[str, Any]) -> None:
    for group in groups:
        try:
            await layer.group_send(group, envelope)
        except Exception:  # noqa: BLE001 - a lost live update must never fail a write
            logger.warning("Could not publish %s to %s", envelope["event"].get("event"), group, exc_info=True)


def _send(groups: Iterable[str], message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    groups = _listened(layer, groups)
    if not groups:
        return
    envelope = {"type": "orion.event", "event": message}
    loop = _server_loop
    try:
        if loop is not None and loop.is_running() and threading.current_thread() is not threading.main_thread():
            # Fire and forget, one hop to the loop for all groups: a write never waits
            # for its subscribers.
            asyncio.run_coroutine_threadsafe(_publish(layer, groups, envelope), loop)
        else:
            async_to_sync(_publish)(layer, groups, envelope)
    except Exception:  # noqa: BLE001 - a lost live update must never fail a write
        logger.warning("Could not publish %s", message.get("event"), exc_info=True)


def _after_commit(groups: list[str], message: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _send(groups, message))


def flow_run_state_changed(flow_run_id: UUID, state_type: str, state_name: str) -> None:
    """A flow run entered a new state."""
    _after_commit(
        [FLOW_RUNS_GROUP, flow_run_group(flow_run_id)],
        {"event": "flow_run_state", "flow_run_id": str(flow_run_id), "state_type": state_type, "state_name": state_name},
    )


def task_run_state_changed(flow_run_id: UUID, task_run_id: UUID, state_type: str, state_name: str) -> None:
    """A task run entered a new state."""
    _after_commit(
        [flow_run_group(flow_run_id)],
        {
            "event": "task_run_state",
            "flow_run_id": str(flow_run_id),
            "task_run_id": str(task_run_id),
            "state_type": state_type,
            "state_name": state_name,
        },
    )


def logs_created(flow_run_ids: Iterable[UUID]) -> None:
    """New log lines were stored for these flow runs (one message per run, not per line)."""
    for flow_run_id in set(flow_run_ids):
        _after_commit([flow_run_group(flow_run_id)], {"event": "logs", "flow_run_id": str(flow_run_id)})
