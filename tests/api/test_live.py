"""The live-update websocket: subscriptions, and events forwarded after commit."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from api import events
from api.live import MAX_SUBSCRIPTIONS, websocket_application


def run(scenario: Callable[[WebsocketCommunicator], Awaitable[None]]) -> None:
    """Open a connection to /api/live, run ``scenario`` on it, and close it."""

    async def main() -> None:
        communicator = WebsocketCommunicator(websocket_application(), "/api/live")
        connected, _ = await communicator.connect()
        assert connected
        try:
            await scenario(communicator)
        finally:
            await communicator.disconnect()

    async_to_sync(main)()


async def ask(communicator: WebsocketCommunicator, message: dict[str, Any]) -> Any:
    """Send a request and return the answer."""
    await communicator.send_json_to(message)
    return await communicator.receive_json_from(timeout=2)


@pytest.mark.django_db(transaction=True)
def test_a_run_page_receives_its_runs_state_task_and_log_events() -> None:
    run_id = uuid.uuid4()

    async def scenario(ws: WebsocketCommunicator) -> None:
        assert await ask(ws, {"subscribe": f"flow_run.{run_id}"}) == {"subscribed": f"flow_run.{run_id}"}
        await sync_to_async(events.flow_run_state_changed)(run_id, "RUNNING", "Running")
        assert await ws.receive_json_from(timeout=2) == {
            "event": "flow_run_state",
            "flow_run_id": str(run_id),
            "state_type": "RUNNING",
            "state_name": "Running",
        }
        task_id = uuid.uuid4()
        await sync_to_async(events.task_run_state_changed)(run_id, task_id, "COMPLETED", "Completed")
        event = await ws.receive_json_from(timeout=2)
        assert (event["event"], event["task_run_id"]) == ("task_run_state", str(task_id))
        await sync_to_async(events.logs_created)([run_id, run_id])
        assert await ws.receive_json_from(timeout=2) == {"event": "logs", "flow_run_id": str(run_id)}
        # One message per run, however many lines were written.
        assert await ws.receive_nothing(timeout=0.2)

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_the_runs_list_hears_every_run_but_not_other_runs_logs() -> None:
    run_id = uuid.uuid4()

    async def scenario(ws: WebsocketCommunicator) -> None:
        assert await ask(ws, {"subscribe": "flow_runs"}) == {"subscribed": "flow_runs"}
        await sync_to_async(events.logs_created)([run_id])
        assert await ws.receive_nothing(timeout=0.2)
        await sync_to_async(events.flow_run_state_changed)(run_id, "FAILED", "Failed")
        assert (await ws.receive_json_from(timeout=2))["state_name"] == "Failed"

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_unsubscribed_pages_hear_nothing_more() -> None:
    run_id = uuid.uuid4()

    async def scenario(ws: WebsocketCommunicator) -> None:
        await ask(ws, {"subscribe": f"flow_run.{run_id}"})
        assert await ask(ws, {"unsubscribe": f"flow_run.{run_id}"}) == {"unsubscribed": f"flow_run.{run_id}"}
        await sync_to_async(events.flow_run_state_changed)(run_id, "RUNNING", "Running")
        assert await ws.receive_nothing(timeout=0.2)

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_unknown_subscriptions_and_messages_are_answered_with_an_error() -> None:
    async def scenario(ws: WebsocketCommunicator) -> None:
        assert "error" in await ask(ws, {"subscribe": "everything"})
        assert "error" in await ask(ws, {"subscribe": "flow_run.not-a-uuid"})
        assert "error" in await ask(ws, {"hello": 1})
        assert "error" in await ask(ws, ["subscribe"])

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_subscriptions_per_connection_are_capped() -> None:
    async def scenario(ws: WebsocketCommunicator) -> None:
        first = f"flow_run.{uuid.uuid4()}"
        assert await ask(ws, {"subscribe": first}) == {"subscribed": first}
        for _ in range(MAX_SUBSCRIPTIONS - 1):
            assert "subscribed" in await ask(ws, {"subscribe": f"flow_run.{uuid.uuid4()}"})
        assert await ask(ws, {"subscribe": "flow_runs"}) == {"error": f"At most {MAX_SUBSCRIPTIONS} subscriptions per connection."}
        # A group already joined is not a new subscription.
        assert await ask(ws, {"subscribe": first}) == {"subscribed": first}

    run(scenario)
