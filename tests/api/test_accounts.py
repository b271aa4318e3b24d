"""The signed-in user's account and tokens (``/api/me``), and how tokens are verified."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.auth.roles import Role
from api.crud import accounts
from api.models import APIToken
from tests.api.auth_helpers import bearer, make_token, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client: Client, settings) -> Client:
    settings.ORION_AUTH_REQUIRED = True
    client.force_login(make_user(Role.VIEWER, "vic"))
    return client


def test_me_without_auth_is_an_anonymous_admin(client: Client) -> None:
    assert client.get("/api/me/").json() == {"username": None, "role": "admin", "auth_required": False}


def test_me_with_a_token_names_its_user_and_role(client: Client, settings) -> None:
    settings.ORION_AUTH_REQUIRED = True
    secret = make_token(Role.OPERATOR, user=make_user(Role.OPERATOR, "otto"))
    assert client.get("/api/me/", headers=bearer(secret)).json() == {"username": "otto", "role": "operator", "auth_required": True}


def test_a_user_creates_lists_uses_and_revokes_their_own_tokens(signed_in: Client) -> None:
    created = signed_in.post("/api/me/tokens", data='{"name": "laptop", "expires_days": 7}', content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    secret = body["token"]
    assert secret.startswith("orion_") and len(secret) > 40
    assert secret.startswith(body["prefix"])
    assert dt.timedelta(days=6) < dt.datetime.fromisoformat(body["expires"]) - timezone.now() <= dt.timedelta(days=7)
    listed = signed_in.get("/api/me/tokens").json()
    assert [t["name"] for t in listed] == ["laptop"]
    assert "token" not in listed[0]
    anonymous = Client()
    assert anonymous.post("/api/flows/filter", data="{}", content_type="application/json", headers=bearer(secret)).status_code == 200
    assert signed_in.delete(f"/api/me/tokens/{body['id']}").status_code == 204
    assert signed_in.get("/api/me/tokens").json()[0]["revoked"] is not None
    assert anonymous.post("/api/flows/filter", data="{}", content_type="application/json", headers=bearer(secret)).status_code == 401


def test_someone_elses_token_cannot_be_revoked(signed_in: Client) -> None:
    other = make_user(Role.ADMIN, "alice")
    token, _secret = accounts.create_token(other, "hers")
    assert signed_in.delete(f"/api/me/tokens/{token.id}").status_code == 404
    token.refresh_from_db()
    assert token.revoked is None


def test_managing_tokens_needs_a_signed_in_user(client: Client) -> None:
    response = client.get("/api/me/tokens")
    assert response.status_code == 401
    assert "Sign in" in response.json()["detail"]


def test_tokens_are_stored_only_as_a_hash() -> None:
    token, secret = accounts.create_token(make_user(Role.VIEWER), "t")
    stored = APIToken.objects.values().get(pk=token.pk)
    assert secret not in {str(value) for value in stored.values()}
    assert stored["digest"] == accounts.digest(secret)
    assert len(stored["prefix"]) < len(secret) // 3


def test_verifying_a_token_is_one_query_and_last_used_is_written_sparingly(client: Client, settings) -> None:
    settings.ORION_AUTH_REQUIRED = True
    settings.ORION_TOKEN_CACHE_SECONDS = 0
    secret = make_token(Role.VIEWER)
    headers = bearer(secret)
    client.get("/api/flows/name/warm", headers=headers)  # first use: records last_used
    assert APIToken.objects.get().last_used is not None
    with CaptureQueriesContext(connection) as with_token:
        client.get("/api/flows/name/nope", headers=headers)
    settings.ORION_AUTH_REQUIRED = False
    with CaptureQueriesContext(connection) as without:
        client.get("/api/flows/name/nope")
    assert len(with_token) - len(without) == 1
    assert "api_token" in with_token.captured_queries[0]["sql"]


def test_a_verified_token_is_cached_briefly(client: Client, settings) -> None:
    settings.ORION_AUTH_REQUIRED = True
    settings.ORION_TOKEN_CACHE_SECONDS = 0.2
    secret = make_token(Role.VIEWER)
    assert client.get("/api/hello", headers=bearer(secret)).status_code == 200
    with CaptureQueriesContext(connection) as cached:
        assert client.get("/api/hello", headers=bearer(secret)).status_code == 200
    assert len(cached) == 0
    # Revoked by another process (as `orion_token revoke` does): refused once the entry ages out.
    accounts.revoke_tokens(APIToken.objects.all())
    deadline = time.monotonic() + 10
    while client.get("/api/hello", headers=bearer(secret)).status_code == 200:
        assert time.monotonic() < deadline, "a revoked token was still accepted after 10 s"
        time.sleep(0.05)


def test_an_inactive_user_s_tokens_stop_working(client: Client, settings) -> None:
    settings.ORION_AUTH_REQUIRED = True
    user = make_user(Role.ADMIN)
    secret = make_token(user=user)
    user.is_active = False
    user.save()
    assert client.get("/api/hello", headers=bearer(secret)).status_code == 401
