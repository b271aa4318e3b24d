"""``manage.py orion_token create|list|revoke`` and the live websocket's guard."""

from __future__ import annotations

import io

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.management import CommandError, call_command
from django.test import Client

from api.auth.roles import Role
from api.auth.websocket import LiveGuard
from api.crud import accounts
from api.live import websocket_application
from api.models import APIToken
from tests.api.auth_helpers import bearer, make_token

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("orion_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_makes_the_user_with_the_role_and_prints_the_token_last(client: Client, settings) -> None:
    settings.ORION_AUTH_REQUIRED = True
    out, err = run("create", "--user", "agent-1", "--role", "operator", "--name", "k8s", "--expires-days", "30")
    secret = out.splitlines()[-1]
    assert secret.startswith("orion_")
    assert "Created user 'agent-1' with role operator" in err
    user = accounts.read_user("agent-1")
    assert accounts.role_of(user) is Role.OPERATOR
    token = APIToken.objects.get(user=user)
    assert (token.name, token.expires is not None) == ("k8s", True)
    assert client.post("/api/flows/", data='{"name": "f"}', content_type="application/json", headers=bearer(secret)).status_code == 201


def test_create_for_an_existing_user_sets_the_role_and_says_so() -> None:
    run("create", "--user", "bob", "--role", "admin")
    _out, err = run("create", "--user", "bob", "--role", "viewer")
    assert "admin -> viewer" in err
    assert accounts.role_of(accounts.read_user("bob")) is Role.VIEWER
    assert APIToken.objects.filter(user__username="bob").count() == 2


def test_list_shows_tokens_without_secrets_and_revoke_ends_them(client: Client, settings) -> None:
    settings.ORION_AUTH_REQUIRED = True
    secret = run("create", "--user", "cy", "--role", "viewer", "--name", "laptop")[0].splitlines()[-1]
    listing = run("list")[0]
    assert "laptop" in listing and "active" in listing
    assert secret not in listing
    assert run("revoke", "laptop", "--user", "cy")[0] == "Revoked 1 token(s).\n"
    assert "revoked" in run("list", "--user", "cy")[0]
    assert client.get("/api/hello", headers=bearer(secret)).status_code == 401
    token_id = str(APIToken.objects.get().id)
    assert run("revoke", token_id)[0] == "Already revoked.\n"
    with pytest.raises(CommandError):
        run("revoke", "laptop")  # a name needs --user


# --- the websocket -----------------------------------------------------------------------


def connects(headers: list[tuple[bytes, bytes]], client: tuple[str, int] = ("127.0.0.1", 5000)) -> bool:
    async def attempt() -> bool:
        communicator = WebsocketCommunicator(LiveGuard(websocket_application()), "/api/live", headers=[(b"host", b"127.0.0.1"), *headers])
        communicator.scope["client"] = client
        connected, _ = await communicator.connect(timeout=3)
        await communicator.disconnect()
        return connected

    return async_to_sync(attempt)()


@pytest.mark.django_db(transaction=True)
def test_the_live_socket_needs_credentials_when_auth_is_on(settings) -> None:
    assert connects([])  # auth off, loopback
    assert not connects([], client=("192.0.2.9", 5000))
    assert not connects([(b"origin", b"http://evil.example")])
    settings.ORION_AUTH_REQUIRED = True
    assert not connects([])
    assert not connects([(b"authorization", b"Bearer orion_forged")])
    assert connects([(b"authorization", f"Bearer {make_token(Role.VIEWER)}".encode())])
    session = Client()
    session.force_login(accounts.ensure_user("sam", Role.VIEWER)[0])
    cookie = f"sessionid={session.cookies['sessionid'].value}".encode()
    assert connects([(b"cookie", cookie)])
