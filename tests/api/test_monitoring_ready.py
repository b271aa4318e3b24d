"""``GET /api/ready``: 200 when the database answers and every enabled service finished a
loop within 3x its interval; 503 with the same JSON naming what is wrong otherwise."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import OperationalError
from django.http import HttpRequest
from django.utils import timezone

from api import models, readiness
from api.asgi import _URLConf
from api.crud import monitoring
from api.server import api_urlpatterns, create_orion_api
from api.services import launcher
from api.utilities.server import OrionRouter
from tests.compat import harness

pytestmark = pytest.mark.django_db


@pytest.fixture
def enabled() -> dict[str, float]:
    """The services enabled by the test settings, with their configured intervals."""
    return {cls.__name__: cls.configured_loop_seconds() for cls in launcher.enabled_services()}


@pytest.fixture
def long_running(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process started long ago: no service is in its start-up grace any more."""
    monkeypatch.setattr(readiness, "grace_started", lambda: time.time() - 10 * 86400)


def beat(name: str, seconds_ago: float, loop_seconds: float) -> None:
    models.ServiceHeartbeat.objects.update_or_create(
        name=name,
        defaults={
            "last_success": timezone.now() - dt.timedelta(seconds=seconds_ago),
            "loop_seconds": loop_seconds,
            "last_duration_seconds": 0.01,
            "process": "elsewhere:1",
        },
    )


def test_a_fresh_process_is_ready_while_its_services_start(client, enabled, monkeypatch) -> None:
    started = time.time()
    monkeypatch.setattr(readiness, "grace_started", lambda: started)

    response = client.get("/api/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert set(body["services"]) == set(enabled)
    for name, seconds in enabled.items():
        assert body["services"][name] == {"status": "starting", "last_success": None, "loop_seconds": seconds}


def test_ready_when_every_service_looped_recently(client, enabled, long_running) -> None:
    for name, seconds in enabled.items():
        beat(name, seconds_ago=seconds, loop_seconds=seconds)

    response = client.get("/api/ready")

    assert response.status_code == 200
    services = response.json()["services"]
    assert {service["status"] for service in services.values()} == {"ok"}
    last = dt.datetime.fromisoformat(services["Scheduler"]["last_success"])
    assert last.utcoffset() == dt.timedelta(0)
    assert abs((timezone.now() - last).total_seconds() - enabled["Scheduler"]) < 30


def test_a_service_whose_last_loop_is_too_old_makes_the_server_unready(client, enabled, long_running) -> None:
    for name, seconds in enabled.items():
        beat(name, seconds_ago=0, loop_seconds=seconds)
    beat("MarkLateRuns", seconds_ago=3 * enabled["MarkLateRuns"] + 30, loop_seconds=enabled["MarkLateRuns"])

    response = client.get("/api/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["services"]["MarkLateRuns"]["status"] == "stale"
    assert {body["services"][name]["status"] for name in enabled if name != "MarkLateRuns"} == {"ok"}


def test_a_service_that_never_looped_is_missing_after_the_grace(client, enabled, long_running) -> None:
    for name, seconds in enabled.items():
        if name != "Scheduler":
            beat(name, seconds_ago=0, loop_seconds=seconds)

    response = client.get("/api/ready")

    assert response.status_code == 503
    assert response.json()["services"]["Scheduler"] == {
        "status": "missing",
        "last_success": None,
        "loop_seconds": enabled["Scheduler"],
    }


def test_staleness_uses_the_interval_the_service_really_runs_with(client, enabled, long_running) -> None:
    # The services process runs MarkLateRuns every second: 10 s of silence is too long,
    # although this process's own setting (5 s) would allow 15.
    for name, seconds in enabled.items():
        beat(name, seconds_ago=0, loop_seconds=seconds)
    beat("MarkLateRuns", seconds_ago=10, loop_seconds=1.0)

    response = client.get("/api/ready")

    assert response.status_code == 503
    assert response.json()["services"]["MarkLateRuns"]["status"] == "stale"
    assert response.json()["services"]["MarkLateRuns"]["loop_seconds"] == 1.0


def test_disabled_services_are_neither_listed_nor_waited_for(client, settings, long_running) -> None:
    for flag in harness.SERVICE_NAMES:
        setattr(settings, f"PREFECT_API_SERVICES_{flag}_ENABLED", False)
    beat("MarkLateRuns", seconds_ago=86400, loop_seconds=5.0)  # left over from when it ran

    response = client.get("/api/ready")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "services": {}}


def test_an_unreachable_database_is_named(client, enabled, monkeypatch) -> None:
    def unreachable() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(monitoring, "ping_database", unreachable)

    response = client.get("/api/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "unavailable"
    assert {service["status"] for service in body["services"].values()} == {"unknown"}
    assert "connection refused" not in response.content.decode()


def test_health_stays_the_plain_liveness_check(client) -> None:
    response = client.get("/api/health")

    assert response.status_code == 200
    assert response.json() is True


def test_the_grace_starts_when_this_process_starts_its_services(monkeypatch) -> None:
    monkeypatch.setattr(readiness, "_process_started", 1000.0)
    monkeypatch.setattr(launcher, "_services_started_at", None)
    assert readiness.grace_started() == 1000.0  # a process that runs no services

    monkeypatch.setattr(launcher, "_services_started_at", 1060.0)  # after its migrations
    assert readiness.grace_started() == 1060.0


def test_the_admin_shows_the_heartbeats_read_only(admin_client) -> None:
    beat("Scheduler", seconds_ago=5, loop_seconds=60.0)

    listing = admin_client.get("/admin/api/serviceheartbeat/")

    assert listing.status_code == 200
    assert "Scheduler" in listing.content.decode() and "elsewhere:1" in listing.content.decode()
    assert admin_client.get("/admin/api/serviceheartbeat/add/").status_code == 403


def test_replacing_the_root_router_keeps_the_probes(client, settings) -> None:
    replacement = OrionRouter(prefix="")

    @replacement.get("/hello")
    def hello(request: HttpRequest) -> str:
        return "replaced"

    settings.ROOT_URLCONF = _URLConf(api_urlpatterns(create_orion_api(router_overrides={"": replacement})))

    assert client.get("/api/hello").json() == "replaced"
    assert client.get("/api/ready").json()["database"] == "ok"
    assert client.get("/api/metrics").status_code == 200
