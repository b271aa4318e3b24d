"""FlowRunNotifications: queued notifications reach a local HTTP receiver through the
policy's block; failures are retried a bounded number of times and never stop the pass."""

from __future__ import annotations

import datetime as dt
import json
import socket
import textwrap
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from api import models
from api.crud import block_documents, block_schemas, block_types, flow_run_notification_policies
from api.schemas.actions import (
    BlockDocumentCreate,
    BlockSchemaCreate,
    BlockTypeCreate,
    FlowRunNotificationPolicyCreate,
)
from api.services import flow_run_notifications
from api.services.flow_run_notifications import FlowRunNotifications
from api.services.late_runs import MarkLateRuns
from tests.fixtures.rows import state
from tests.fixtures.processes import race, run_django_script

SUBJECT = "Prefect flow run notification"


@dataclass
class Received:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Receiver:
    """A local HTTP endpoint recording what it receives and answering ``status``."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP server on a free loopback port, in a thread, for the test's duration."""
    recorder = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            recorder.requests.append(
                Received(self.command, self.path, dict(self.headers), json.loads(raw) if raw else None)
            )
            self.send_response(recorder.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_PUT = _record

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def make_block(slug: str, data: dict[str, Any]) -> models.BlockDocument:
    """A saved block document of type ``slug`` (type and schema created as needed)."""
    block_type = block_types.read_block_type_by_slug(slug) or block_types.create_block_type(
        BlockTypeCreate(name=slug.replace("-", " ").title(), slug=slug)
    )
    schema, _ = block_schemas.create_block_schema(
        BlockSchemaCreate(
            block_type_id=block_type.id,
            fields={"title": slug, "block_type_slug": slug, "properties": {}, "secret_fields": ["url"]},
            capabilities=["notify"],
        )
    )
    return block_documents.create_block_document(
        BlockDocumentCreate(
            name=f"{slug}-{uuid.uuid4().hex[:8]}", data=data, block_schema_id=schema.id, block_type_id=block_type.id
        )
    )


def make_policy(block: models.BlockDocument, **fields: Any) -> models.FlowRunNotificationPolicy:
    """An active policy sending through ``block``."""
    body = {"state_names": ["Failed"], "tags": [], **fields}
    return flow_run_notification_policies.create_policy(
        FlowRunNotificationPolicyCreate(block_document_id=block.id, **body)
    )


def queued_rows() -> int:
    """Notifications still waiting in the queue."""
    return models.FlowRunNotificationQueue.objects.count()


def test_failed_run_is_announced_on_a_slack_webhook(make_flow_run, read_run, receiver, settings) -> None:
    settings.PREFECT_UI_URL = "http://ui.example:4200"
    make_policy(make_block("slack-webhook", {"url": f"{receiver.url}/slack"}))
    run = make_flow_run(state("RUNNING"), state("FAILED", message="Boom"))

    FlowRunNotifications().run_once()

    body = read_run("flow", run.id)
    expected = (
        f"Flow run {run.flow.name}/{run.name} entered state `Failed` at {body['state']['timestamp']}.\n"
        "\n"
        f"Flow ID: {run.flow_id}\n"
        f"Flow run ID: {run.id}\n"
        f"Flow run URL: http://ui.example:4200/flow-runs/flow-run/{run.id}\n"
        "State message: Boom"
    )
    assert [(r.method, r.path, r.body) for r in receiver.requests] == [("POST", "/slack", {"text": expected})]
    assert queued_rows() == 0


def test_webhook_block_sends_the_policy_template_with_its_method_and_headers(make_flow_run, receiver) -> None:
    block = make_block("webhook", {"method": "PUT", "url": f"{receiver.url}/hook", "headers": {"X-Token": "s3cret"}})
    make_policy(block, message_template="{flow_run_name}: {flow_run_state_name} ({flow_run_state_type}) {flow_run_parameters}")
    run = make_flow_run(state("RUNNING"), state("FAILED"), parameters={"x": 1})

    FlowRunNotifications().run_once()

    [request] = receiver.requests
    assert (request.method, request.path, request.headers["X-Token"]) == ("PUT", "/hook", "s3cret")
    assert request.body == {"subject": SUBJECT, "body": f"{run.name}: Failed (FAILED) {{'x': 1}}"}


def test_only_runs_matching_the_policy_states_and_tags_notify(make_flow_run, receiver) -> None:
    make_policy(
        make_block("slack-webhook", {"url": receiver.url}),
        message_template="{flow_run_name}",
        tags=["prod"],
    )
    make_flow_run(state("RUNNING"), state("COMPLETED"), tags=["prod"])
    make_flow_run(state("RUNNING"), state("FAILED"), tags=["dev"])
    wanted = make_flow_run(state("RUNNING"), state("FAILED"), tags=["prod", "eu"])

    FlowRunNotifications().run_once()

    assert [r.body["text"] for r in receiver.requests] == [wanted.name]


def _make_due_again() -> None:
    """Skip the retry delay: every queued row may be claimed now."""
    models.FlowRunNotificationQueue.objects.update(updated=timezone.now() - dt.timedelta(seconds=1))


def test_failed_sends_are_retried_a_bounded_number_of_times(make_flow_run, receiver) -> None:
    receiver.status = 500
    make_policy(make_block("slack-webhook", {"url": receiver.url}))
    make_flow_run(state("RUNNING"), state("FAILED"))

    FlowRunNotifications().run_once()
    assert (len(receiver.requests), queued_rows()) == (1, 1)

    # Not due again until the retry delay has passed.
    FlowRunNotifications().run_once()
    assert len(receiver.requests) == 1

    for attempt in range(2, flow_run_notifications.MAX_ATTEMPTS + 1):
        _make_due_again()
        FlowRunNotifications().run_once()
        assert len(receiver.requests) == attempt

    assert queued_rows() == 0


def test_a_retry_that_succeeds_removes_the_notification(make_flow_run, receiver) -> None:
    receiver.status = 503
    make_policy(make_block("slack-webhook", {"url": receiver.url}))
    make_flow_run(state("RUNNING"), state("FAILED"))
    FlowRunNotifications().run_once()

    receiver.status = 200
    _make_due_again()
    FlowRunNotifications().run_once()

    assert [r.method for r in receiver.requests] == ["POST", "POST"]
    assert queued_rows() == 0


def test_unreachable_endpoint_keeps_the_notification_for_later(make_flow_run, receiver) -> None:
    # A port nothing listens on: connection refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    make_policy(make_block("slack-webhook", {"url": f"http://127.0.0.1:{closed_port}/"}))
    make_flow_run(state("RUNNING"), state("FAILED"))

    FlowRunNotifications().run_once()

    row = models.FlowRunNotificationQueue.objects.get()
    assert row.attempts == 1 and row.updated > timezone.now()


def test_undeliverable_notifications_are_dropped_without_stopping_the_others(make_flow_run, receiver) -> None:
    make_policy(make_block("secret", {"value": "not a notifier"}))
    broken_template = make_policy(make_block("slack-webhook", {"url": receiver.url}))
    # Stored before templates were validated: rendering it fails at send time.
    models.FlowRunNotificationPolicy.objects.filter(id=broken_template.id).update(message_template="{not_a_variable}")
    make_policy(make_block("slack-webhook", {"url": receiver.url}), message_template="ok {flow_run_name}")
    run = make_flow_run(state("RUNNING"), state("FAILED"))
    # A queued notification of a deleted policy: only direct writes leave one behind.
    models.FlowRunNotificationQueue.objects.create(
        flow_run_notification_policy_id=uuid.uuid4(), flow_run_state_id=run.state_id
    )

    FlowRunNotifications().run_once()

    assert [r.body["text"] for r in receiver.requests] == [f"ok {run.name}"]
    assert queued_rows() == 0


_SEED = textwrap.dedent(
    """
    from django.db import transaction
    from api.crud import block_documents, block_schemas, block_types, flow_run_notification_policies, flow_runs, flows
    from api.orchestration import set_flow_run_state
    from api.schemas.actions import (BlockDocumentCreate, BlockSchemaCreate, BlockTypeCreate,
        FlowCreate, FlowRunCreate, FlowRunNotificationPolicyCreate)
    from api.schemas.states import StateCreate
    block_type = block_types.create_block_type(BlockTypeCreate(name="Slack Webhook", slug="slack-webhook"))
    schema, _ = block_schemas.create_block_schema(BlockSchemaCreate(block_type_id=block_type.id, fields={}))
    block = block_documents.create_block_document(BlockDocumentCreate(
        name="race", data={"url": RECEIVER_URL}, block_schema_id=schema.id, block_type_id=block_type.id))
    flow_run_notification_policies.create_policy(FlowRunNotificationPolicyCreate(
        block_document_id=block.id, state_names=["Failed"], tags=[], message_template="{flow_run_id}"))
    flow, _ = flows.create_flow(FlowCreate(name="notify-race"))
    for _ in range(40):
        with transaction.atomic():
            run, _ = flow_runs.create_flow_run(FlowRunCreate(flow_id=flow.id))
            set_flow_run_state(run.id, StateCreate(type="FAILED"), force=True)
    """
)

_DRAIN = textwrap.dedent(
    """
    import os, django
    os.environ["DJANGO_SETTINGS_MODULE"] = "orion_project.settings"
    django.setup()
    from api.services.flow_run_notifications import FlowRunNotifications
    FlowRunNotifications().run_once()
    """
)


def test_two_service_processes_send_each_notification_once(scratch_database_env, receiver) -> None:
    seed = f"RECEIVER_URL = {receiver.url!r}\n" + _SEED
    run_django_script(seed, scratch_database_env)

    race(_DRAIN, scratch_database_env, 2)

    texts = [r.body["text"] for r in receiver.requests]
    assert len(texts) == 40 and len(set(texts)) == 40


def test_a_notification_claimed_too_often_is_dropped(make_flow_run, receiver) -> None:
    make_policy(make_block("slack-webhook", {"url": receiver.url}))
    make_flow_run(state("RUNNING"), state("FAILED"))
    # As if service processes had died mid-send every time they claimed it.
    models.FlowRunNotificationQueue.objects.update(attempts=flow_run_notifications.MAX_ATTEMPTS)

    FlowRunNotifications().run_once()

    assert receiver.requests == [] and queued_rows() == 0


def test_runs_marked_late_by_the_late_runs_service_notify(make_flow_run, receiver) -> None:
    make_policy(make_block("slack-webhook", {"url": receiver.url}), state_names=["Late"])
    due = timezone.now() - dt.timedelta(hours=1)
    run = make_flow_run(state("SCHEDULED", state_details={"scheduled_time": due.isoformat()}))

    MarkLateRuns().run_once()
    FlowRunNotifications().run_once()

    [request] = receiver.requests
    assert request.body["text"].startswith(f"Flow run {run.flow.name}/{run.name} entered state `Late` at ")
