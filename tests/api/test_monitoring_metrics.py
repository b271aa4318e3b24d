"""``GET /api/metrics``: Prometheus text with request counts by route template, run and
queue gauges from grouped queries, service heartbeats and database errors."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from api import models
from api.checks import check_multiprocess_dir
from api.crud import flow_runs, monitoring
from tests.fixtures.http import post
from tests.fixtures.rows import ago, new_flow_run, new_task_run, new_work_queue, scheduled, set_columns, state

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_gauge_cache(settings) -> None:
    """Every scrape reads the database (the cache has its own test)."""
    settings.ORION_METRICS_CACHE_SECONDS = 0


def scrape(client: Client) -> dict[tuple[str, frozenset], float]:
    """The samples of one scrape, by ``(name, labels)``."""
    response = client.get("/api/metrics")
    assert response.status_code == 200, response.content
    assert response["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    """One sample's value (0 when the series does not exist yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_template_never_by_raw_path(client) -> None:
    missing = uuid.uuid4()
    before = scrape(client)

    for _ in range(2):
        assert client.get(f"/api/flow_runs/{missing}").status_code == 404
    assert post(client, "/flows/filter", {}).status_code == 200

    after = scrape(client)
    route = "/api/flow_runs/{id}"
    assert value(after, "orion_http_requests_total", method="GET", route=route, status="404") - value(
        before, "orion_http_requests_total", method="GET", route=route, status="404"
    ) == 2
    assert value(after, "orion_http_requests_total", method="POST", route="/api/flows/filter", status="200") - value(
        before, "orion_http_requests_total", method="POST", route="/api/flows/filter", status="200"
    ) == 1
    assert value(after, "orion_http_request_duration_seconds_count", method="GET", route=route) - value(
        before, "orion_http_request_duration_seconds_count", method="GET", route=route
    ) == 2
    assert not any(str(missing) in str(labels) for _, labels in after)


def test_paths_that_match_no_operation_share_one_label(client) -> None:
    before = scrape(client)

    for path in ("/api/nothing-here", f"/api/nothing/{uuid.uuid4()}", "/api/flows/filter/extra"):
        assert client.get(path).status_code == 404

    after = scrape(client)
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(after, "orion_http_requests_total", **unmatched) - value(
        before, "orion_http_requests_total", **unmatched
    ) == 3
    routes = {dict(labels).get("route") for name, labels in after if name == "orion_http_requests_total"}
    assert not any("nothing" in route for route in routes)


def test_the_ui_and_the_admin_are_not_counted(client) -> None:
    before = scrape(client)
    client.get("/admin/login/")
    after = scrape(client)

    counted = {
        dict(labels)["route"]
        for name, labels in after
        if name == "orion_http_requests_total" and after[(name, labels)] != before.get((name, labels), 0)
    }
    assert counted == {"/api/metrics"}  # the first scrape itself, nothing else


def test_run_gauges_come_from_the_database(client) -> None:
    runs = [new_flow_run(initial=state("RUNNING")) for _ in range(2)]
    new_flow_run(initial=state("COMPLETED"))
    new_flow_run(initial=state("SCHEDULED", name="Late"))
    new_flow_run(initial=scheduled(timezone.now() + dt.timedelta(hours=1)))
    for _ in range(3):
        new_task_run(runs[0], initial=state("RUNNING"))
    new_task_run(runs[1], initial=state("FAILED"))

    samples = scrape(client)

    assert value(samples, "orion_flow_runs", state_type="RUNNING") == 2
    assert value(samples, "orion_flow_runs", state_type="COMPLETED") == 1
    assert value(samples, "orion_flow_runs", state_type="SCHEDULED") == 2
    assert value(samples, "orion_late_flow_runs") == 1
    assert value(samples, "orion_task_runs", state_type="RUNNING") == 3
    assert value(samples, "orion_task_runs", state_type="FAILED") == 1
    assert value(samples, "orion_database_up") == 1


def test_work_queue_backlog_counts_due_scheduled_runs_per_queue(client) -> None:
    busy = new_work_queue("pool-a", "default")
    new_work_queue("pool-b", "default")  # same queue name, another pool
    for when in (ago(minutes=5), ago(seconds=1), timezone.now() + dt.timedelta(hours=1)):
        run = new_flow_run(initial=scheduled(when))
        set_columns(run, work_queue=busy, work_queue_name=busy.name, next_scheduled_start_time=when)
    running = new_flow_run(initial=state("RUNNING"))
    set_columns(running, work_queue=busy, work_queue_name=busy.name)

    samples = scrape(client)

    assert value(samples, "orion_work_queue_backlog", work_pool="pool-a", work_queue="default") == 2
    assert ("orion_work_queue_backlog", frozenset({"work_pool": "pool-b", "work_queue": "default"}.items())) in samples
    assert value(samples, "orion_work_queue_backlog", work_pool="pool-b", work_queue="default") == 0


def test_service_gauges_come_from_the_heartbeat_rows(client) -> None:
    monitoring.record_heartbeat("Scheduler", 60.0, 0.25, "elsewhere:42")
    row = models.ServiceHeartbeat.objects.get(name="Scheduler")

    samples = scrape(client)

    assert value(samples, "orion_service_last_success_timestamp_seconds", service="Scheduler") == pytest.approx(
        row.last_success.timestamp()
    )
    assert value(samples, "orion_service_loop_duration_seconds", service="Scheduler") == 0.25


def test_gauges_are_cached_between_scrapes(client, settings) -> None:
    settings.ORION_METRICS_CACHE_SECONDS = 3600
    scrape(client)  # fills the cache
    new_flow_run(initial=state("CRASHED"))
    cached = scrape(client)
    settings.ORION_METRICS_CACHE_SECONDS = 0
    fresh = scrape(client)

    assert value(cached, "orion_flow_runs", state_type="CRASHED") == 0
    assert value(fresh, "orion_flow_runs", state_type="CRASHED") == 1


def test_database_errors_are_counted_and_the_gauges_say_the_database_is_down(client, monkeypatch) -> None:
    def unavailable(*args: object, **kwargs: object) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    before = scrape(client)
    monkeypatch.setattr(monitoring, "count_flow_runs_by_state", unavailable)
    monkeypatch.setattr(flow_runs, "read_flow_run", unavailable)

    assert client.get(f"/api/flow_runs/{uuid.uuid4()}").status_code >= 500
    down = scrape(client)
    # The failed gauge query of that scrape is counted too, and shows in the next one.
    later = scrape(client)

    assert value(down, "orion_database_up") == 0
    assert ("orion_flow_runs", frozenset({"state_type": "RUNNING"}.items())) not in down
    assert value(later, "orion_database_errors_total", source="request", error="OperationalError") - value(
        before, "orion_database_errors_total", source="request", error="OperationalError"
    ) == 1
    assert value(later, "orion_database_errors_total", source="metrics", error="OperationalError") - value(
        before, "orion_database_errors_total", source="metrics", error="OperationalError"
    ) == 1


def test_integrity_conflicts_are_not_database_errors(client) -> None:
    before = scrape(client)
    assert post(client, "/work_pools/", {"name": "twice"}).status_code == 201
    assert post(client, "/work_pools/", {"name": "twice"}).status_code == 409
    after = scrape(client)

    errors = {labels: v for (name, labels), v in after.items() if name == "orion_database_errors_total"}
    assert errors == {labels: v for (name, labels), v in before.items() if name == "orion_database_errors_total"}


def test_openmetrics_when_the_scraper_asks_for_it(client) -> None:
    response = client.get("/api/metrics", HTTP_ACCEPT="application/openmetrics-text; version=1.0.0")

    assert response.status_code == 200
    assert response["content-type"].startswith("application/openmetrics-text")
    assert response.content.decode().rstrip().endswith("# EOF")


def test_metrics_can_be_turned_off(settings) -> None:
    settings.ORION_METRICS_ENABLED = False
    client = Client()  # a new handler: the middleware chain is built without metrics

    assert client.get("/api/metrics").status_code == 404
    assert client.get("/api/hello").status_code == 200


def test_an_unusable_multiprocess_dir_is_a_system_check_error(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "missing"))
    [error] = check_multiprocess_dir()
    assert error.id == "orion_ops.E002"

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert check_multiprocess_dir() == []
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    assert check_multiprocess_dir() == []
