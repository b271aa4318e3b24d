"""The audit trail: writes (in their transaction), refusals and secret reveals."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from django.core.management import call_command
from django.test import Client

from api.auth.roles import Role
from api.models import AuditEvent, Flow, FlowRun
from tests.api.auth_helpers import bearer, make_token, make_user

pytestmark = pytest.mark.django_db

SECRET_BLOCK = {"name": "pw", "data": {"value": "hunter2"}}


@pytest.fixture
def auth_on(settings) -> None:
    settings.ORION_AUTH_REQUIRED = True


def post(client: Client, path: str, body: object, headers: dict[str, str] | None = None) -> object:
    return client.post(path, data=json.dumps(body), content_type="application/json", headers=headers or {})


@pytest.mark.usefixtures("auth_on")
def test_a_write_leaves_a_committed_row_naming_who_what_and_which_object(client: Client) -> None:
    secret = make_token(Role.OPERATOR, user=make_user(Role.OPERATOR, "olga"), name="ci")
    response = post(client, "/api/flows/", {"name": "audited"}, {**bearer(secret), "X-Request-ID": "req-1"})
    assert response.status_code == 201
    assert response["X-Request-ID"] == "req-1"
    row = AuditEvent.objects.get()
    assert (row.username, row.token_name, row.method, row.path, row.status, row.outcome, row.request_id) == (
        "olga", "ci", "POST", "/api/flows/", 201, "committed", "req-1"
    )
    assert row.object_id == response.json()["id"]
    assert row.peer == "127.0.0.1"


@pytest.mark.usefixtures("auth_on")
def test_reads_leave_no_row(client: Client) -> None:
    headers = bearer(make_token(Role.VIEWER))
    assert post(client, "/api/flows/filter", {}, headers).status_code == 200
    assert client.get("/api/hello", headers=headers).status_code == 200
    assert not AuditEvent.objects.exists()


@pytest.mark.usefixtures("auth_on")
def test_refusals_leave_rows(client: Client) -> None:
    assert post(client, "/api/flows/", {"name": "x"}).status_code == 401
    viewer = make_token(Role.VIEWER, user=make_user(Role.VIEWER, "vic"))
    assert post(client, "/api/flows/", {"name": "x"}, bearer(viewer)).status_code == 403
    assert client.get("/api/flows/name/x", headers=bearer("orion_forged")).status_code == 401
    rows = list(AuditEvent.objects.order_by("at").values_list("username", "method", "status", "outcome"))
    assert rows == [("", "POST", 401, "refused"), ("vic", "POST", 403, "refused"), ("", "GET", 401, "refused")]
    assert not Flow.objects.exists()


def test_a_rolled_back_write_leaves_a_row_saying_so(client: Client) -> None:
    # A run of a flow that does not exist: the insert fails and the transaction rolls back.
    response = post(client, "/api/flow_runs/", {"flow_id": str(uuid.uuid4())})
    assert response.status_code in (404, 409)
    assert not FlowRun.objects.exists()
    row = AuditEvent.objects.get()
    assert (row.status, row.outcome, row.username) == (response.status_code, "rolled back", "")


def test_writes_are_audited_with_auth_off_too(client: Client) -> None:
    flow = post(client, "/api/flows/", {"name": "open"}).json()
    assert client.delete(f"/api/flows/{flow['id']}").status_code == 204
    rows = list(AuditEvent.objects.order_by("at").values_list("method", "object_id", "outcome"))
    assert rows == [("POST", flow["id"], "committed"), ("DELETE", flow["id"], "committed")]


def _secret_block(client: Client, headers: dict[str, str]) -> str:
    block_type = post(client, "/api/block_types/", {"name": "Pw", "slug": "pw"}, headers).json()
    schema = post(
        client,
        "/api/block_schemas/",
        {
            "block_type_id": block_type["id"],
            "fields": {"properties": {"value": {"type": "string", "format": "password", "writeOnly": True}}, "secret_fields": ["value"]},
            "capabilities": [],
        },
        headers,
    ).json()
    document = post(client, "/api/block_documents/", {**SECRET_BLOCK, "block_type_id": block_type["id"], "block_schema_id": schema["id"]}, headers)
    assert document.status_code == 201, document.content
    return document.json()["id"]


@pytest.mark.usefixtures("auth_on")
def test_secret_reveals_are_audited_and_refused_to_viewers(client: Client) -> None:
    operator = bearer(make_token(Role.OPERATOR, user=make_user(Role.OPERATOR, "olga")))
    block_id = _secret_block(client, operator)
    AuditEvent.objects.all().delete()
    viewer = bearer(make_token(Role.VIEWER))
    masked = client.get(f"/api/block_documents/{block_id}", headers=viewer)
    assert masked.status_code == 200
    assert "hunter2" not in masked.content.decode()
    assert client.get(f"/api/block_documents/{block_id}?include_secrets=true", headers=viewer).status_code == 403
    refused_filter = post(client, "/api/block_documents/filter", {"include_secrets": True}, viewer)
    assert refused_filter.status_code == 403
    revealed = client.get(f"/api/block_documents/{block_id}?include_secrets=true", headers=operator)
    assert revealed.json()["data"]["value"] == "hunter2"
    rows = list(AuditEvent.objects.order_by("at").values_list("username", "status", "outcome", "object_id"))
    assert rows[-1] == ("olga", 200, "revealed", block_id)
    assert [row[2] for row in rows] == ["refused", "refused", "revealed"]


def test_orion_audit_export_prints_json_lines(client: Client) -> None:
    post(client, "/api/flows/", {"name": "one"})
    out = io.StringIO()
    call_command("orion_audit", "export", "--since", "2000-01-01", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 1
    assert {"at", "user", "method", "path", "status", "object_id"} <= lines[0].keys()
    assert (lines[0]["method"], lines[0]["path"], lines[0]["status"]) == ("POST", "/api/flows/", 201)
    later = io.StringIO()
    call_command("orion_audit", "export", "--since", "2999-01-01T00:00:00", stdout=later)
    assert later.getvalue() == ""
