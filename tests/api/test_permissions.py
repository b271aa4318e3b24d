"""The permission table against all 115 operations of Prefect 2.8.7, and the role matrix.

With ``ORION_AUTH_REQUIRED=true`` every operation but health and version answers 401
without a valid token (none, forged, expired, revoked) before it looks at the body; a
viewer may call reads only, an operator everything but ``/api/admin/*``, an admin all.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from api.auth.roles import Access, Role, may
from api.crud import accounts
from api.models import APIToken
from api.routers import permissions
from tests.api.auth_helpers import OPERATIONS, bearer, call, make_token

pytestmark = pytest.mark.django_db

PUBLIC = {"GET /api/health", "GET /api/version"}


@pytest.fixture
def auth_on(settings) -> None:
    settings.ORION_AUTH_REQUIRED = True


def served_operations(client: Client) -> set[str]:
    paths = client.get("/api/openapi.json").json()["paths"]
    return {f"{method.upper()} {path}" for path, ops in paths.items() for method in ops}


def test_the_table_has_a_row_for_each_of_the_115_operations_and_only_served_ones(client: Client) -> None:
    assert len(OPERATIONS) == 115
    assert sorted(set(OPERATIONS) - permissions.OPERATIONS.keys()) == []
    served = served_operations(client) | {"GET /api/docs", "GET /api/openapi.json", "GET /api/static/prefect-logo-mark-gradient.png"}
    assert sorted(permissions.OPERATIONS.keys() - served) == []


def test_the_classification_follows_the_rules() -> None:
    for operation in OPERATIONS:
        method, path = operation.split(" ", 1)
        access = permissions.OPERATIONS[operation]
        if operation in PUBLIC:
            assert access is Access.PUBLIC, operation
        elif path.startswith("/api/admin/"):
            assert access is Access.ADMIN, operation
        elif method == "GET" or path.endswith(("/filter", "/count", "/history")) or path.startswith("/api/ui/"):
            assert access is Access.READ, operation
        else:
            assert access is Access.WRITE, operation


@pytest.mark.usefixtures("auth_on")
def test_every_protected_operation_is_401_without_a_valid_token(client: Client) -> None:
    expired = make_token(Role.ADMIN, name="old", expires_in=dt.timedelta(seconds=-1))
    revoked = make_token(Role.ADMIN, name="gone")
    accounts.revoke_tokens(APIToken.objects.filter(name="gone"))
    forged = "orion_" + "A" * 43
    credentials = {"none": {}, "forged": bearer(forged), "expired": bearer(expired), "revoked": bearer(revoked), "basic": {"Authorization": "Basic eDp5"}}
    for operation in OPERATIONS:
        for label, headers in credentials.items():
            # A body that would not validate: the answer is still 401, so nothing was parsed.
            response = call(client, operation, headers, body='{"not": "valid"')
            if operation in PUBLIC:
                assert response.status_code == 200, (operation, label)
                continue
            assert response.status_code == 401, (operation, label, response.content[:200])
            assert "detail" in response.json()
            assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.usefixtures("auth_on")
@pytest.mark.parametrize("role", list(Role))
def test_each_role_may_call_exactly_what_the_table_grants(client: Client, role: Role) -> None:
    headers = bearer(make_token(role))
    for operation in OPERATIONS:
        response = call(client, operation, headers)
        allowed = may(role, permissions.OPERATIONS[operation])
        if allowed:
            assert response.status_code not in (401, 403), (role, operation, response.content[:300])
        else:
            assert response.status_code == 403, (role, operation, response.status_code)
            assert role.value in response.json()["detail"]


@pytest.mark.usefixtures("auth_on")
def test_a_user_without_a_role_may_only_see_their_account(client: Client) -> None:
    # A user without any role: accounts only makes users with one, so written directly.
    user = get_user_model().objects.create(username="nobody")
    headers = bearer(accounts.create_token(user, "t")[1])
    assert client.post("/api/flows/filter", data="{}", content_type="application/json", headers=headers).status_code == 403
    me = client.get("/api/me/", headers=headers)
    assert me.status_code == 200
    assert me.json() == {"username": "nobody", "role": None, "auth_required": True}


@pytest.mark.usefixtures("auth_on")
def test_superusers_are_admins(client: Client) -> None:
    # Superusers come from Django's createsuperuser, not the API: written directly.
    user = get_user_model().objects.create(username="root", is_superuser=True)
    headers = bearer(accounts.create_token(user, "t")[1])
    assert client.get("/api/admin/settings", headers=headers).status_code == 200
