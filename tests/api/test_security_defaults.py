"""Safe defaults: CORS, JSON-only bodies, the Host allow-list, loopback-only anonymous
access, CSRF on session writes, and 401 before the body is looked at."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from api.auth.roles import Role
from api.models import Flow
from tests.api.auth_helpers import bearer, make_token, make_user

pytestmark = pytest.mark.django_db

FOREIGN = "http://evil.example"


def preflight(client: Client, origin: str = FOREIGN) -> object:
    return client.options(
        "/api/flows/",
        headers={"origin": origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type"},
    )


# --- CORS -------------------------------------------------------------------------------


def test_by_default_a_foreign_origin_gets_no_cors_grant(client: Client) -> None:
    assert "access-control-allow-origin" not in preflight(client)
    read = client.post("/api/flows/filter", data="{}", content_type="application/json", headers={"origin": FOREIGN})
    assert "access-control-allow-origin" not in read


def test_a_foreign_pages_write_is_refused_and_writes_nothing(client: Client) -> None:
    response = client.post("/api/flows/", data='{"name": "evil"}', content_type="application/json", headers={"origin": FOREIGN})
    assert response.status_code == 403
    assert "PREFECT_SERVER_CORS_ALLOWED_ORIGINS" in response.json()["detail"]
    assert not Flow.objects.filter(name="evil").exists()


def test_our_own_origin_may_write(client: Client) -> None:
    response = client.post("/api/flows/", data='{"name": "mine"}', content_type="application/json", headers={"origin": "http://testserver"})
    assert response.status_code == 201


def test_star_restores_the_original_open_cors(client: Client, settings) -> None:
    settings.CORS_ALLOW_ALL_ORIGINS = True
    answer = preflight(client)
    assert answer["access-control-allow-origin"] == "*"
    assert answer["access-control-max-age"] == "600"
    write = client.post("/api/flows/", data='{"name": "x"}', content_type="application/json", headers={"origin": FOREIGN})
    assert write.status_code == 201
    assert write["access-control-allow-origin"] == "*"


def test_a_listed_origin_is_granted_and_others_are_not(client: Client, settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://ui.example"]
    assert preflight(client, "https://ui.example")["access-control-allow-origin"] == "https://ui.example"
    assert "access-control-allow-origin" not in preflight(client)


# --- bodies, hosts, peers ----------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b"])
def test_a_write_that_is_not_json_is_refused_as_the_original_does(client: Client, content_type: str) -> None:
    body = '{"name": "simple-post"}' if "multipart" not in content_type else '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--\r\n'
    response = client.post("/api/flows/", data=body, content_type=content_type)
    assert response.status_code == 422
    assert response.json()["exception_detail"] == [{"loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"}]
    assert Flow.objects.count() == 0


def test_json_flavoured_types_and_bodiless_writes_pass(client: Client) -> None:
    assert client.post("/api/flows/", data='{"name": "a"}', content_type="application/merge-patch+json").status_code == 201
    # No body at all: the view answers (404: no such deployment), not the body check.
    missing = client.post(f"/api/deployments/{uuid.uuid4()}/set_schedule_active", data="", content_type="text/plain")
    assert missing.status_code == 404


def test_a_foreign_host_is_refused(client: Client) -> None:
    response = client.post("/api/flows/filter", data="{}", content_type="application/json", HTTP_HOST="rebind.evil.example")
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid Host header."}


def test_loopback_names_are_allowed_hosts(client: Client) -> None:
    for host in ("localhost:4200", "127.0.0.1:4200", "[::1]:4200"):
        assert client.get("/api/hello", HTTP_HOST=host).status_code == 200, host


def test_without_auth_a_remote_peer_is_told_how_to_enable_it(client: Client) -> None:
    response = client.get("/api/hello", REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 403
    assert "ORION_AUTH_REQUIRED=true" in response.json()["detail"]
    assert client.get("/api/health", REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get("/api/hello", REMOTE_ADDR="::1").status_code == 200


def test_anonymous_remote_access_can_be_opted_into(client: Client, settings) -> None:
    settings.ORION_ALLOW_ANONYMOUS_REMOTE = True
    assert client.get("/api/hello", REMOTE_ADDR="192.0.2.7").status_code == 200


def test_with_auth_on_a_remote_peer_with_a_token_is_served(client: Client, settings) -> None:
    settings.ORION_AUTH_REQUIRED = True
    headers = bearer(make_token(Role.VIEWER))
    assert client.get("/api/hello", REMOTE_ADDR="192.0.2.7", headers=headers).status_code == 200


def test_401_comes_before_body_validation(client: Client, settings) -> None:
    settings.ORION_AUTH_REQUIRED = True
    response = client.post("/api/flows/", data="{broken", content_type="application/json")
    assert response.status_code == 401
    assert client.post("/api/flows/", data="{broken", content_type="application/json", headers=bearer(make_token())).status_code == 422


# --- sessions and CSRF -------------------------------------------------------------------


@pytest.fixture
def browser(settings) -> Client:
    """A browser-like client that enforces CSRF, signed in as an operator."""
    settings.ORION_AUTH_REQUIRED = True
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(Role.OPERATOR, "olga"))
    return client


def test_a_session_may_get_without_csrf_but_not_post(browser: Client) -> None:
    assert browser.get("/api/flows/name/nope").status_code == 404
    # Every unsafe method of a session needs the token, read-only POSTs included (as in Django).
    assert browser.post("/api/flows/filter", data="{}", content_type="application/json").status_code == 403


def test_a_session_write_without_the_csrf_token_is_refused(browser: Client) -> None:
    response = browser.post("/api/flows/", data='{"name": "f"}', content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Flow.objects.exists()


def test_a_session_write_with_the_csrf_token_is_served(browser: Client) -> None:
    browser.get("/")  # the SPA's page sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    response = browser.post("/api/flows/", data='{"name": "f"}', content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_token_clients_need_no_csrf(settings) -> None:
    settings.ORION_AUTH_REQUIRED = True
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/flows/", data='{"name": "f"}', content_type="application/json", headers=bearer(make_token()))
    assert response.status_code == 201


def test_the_login_page_signs_in_and_the_api_then_knows_the_user(client: Client, settings) -> None:
    settings.ORION_AUTH_REQUIRED = True
    user = make_user(Role.VIEWER, "vera")
    user.set_password("s3cret-pass")
    user.save()
    assert client.get("/api/me/").status_code == 401
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "vera", "password": "s3cret-pass", "next": "/flow-runs"})
    assert (response.status_code, response["Location"]) == (302, "/flow-runs")
    assert client.get("/api/me/").json() == {"username": "vera", "role": "viewer", "auth_required": True}
    client.post("/logout/")
    assert client.get("/api/me/").status_code == 401


def test_repeated_failed_sign_ins_lock_the_account_out(client: Client, settings) -> None:
    user = make_user(Role.VIEWER, "mallory-target")
    user.set_password("right-password")
    user.save()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/login/", {"username": "mallory-target", "password": "wrong"}).status_code == 200
    assert client.post("/login/", {"username": "mallory-target", "password": "wrong"}).status_code == 429
    # Locked out: even the right password does not sign in now.
    locked = client.post("/login/", {"username": "mallory-target", "password": "right-password"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_risky_settings_are_reported_by_system_checks(settings) -> None:
    from api.auth.checks import check_auth_settings

    settings.ORION_ALLOW_ANONYMOUS_REMOTE = False
    settings.DJANGO_ALLOWED_HOSTS_EXTRA = []
    assert check_auth_settings() == []
    settings.ORION_ALLOW_ANONYMOUS_REMOTE = True
    settings.PREFECT_SERVER_API_HOST = "0.0.0.0"
    assert [message.id for message in check_auth_settings()] == ["orion.W101", "orion.W102"]
