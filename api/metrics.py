"""Prometheus metrics: request counters, database gauges and service heartbeats.

* ``MetricsMiddleware`` (first in both middleware chains) counts every request under ``/api/``
  by method, route template and status, and times it. The route is the pattern the
  request matched (``/api/flow_runs/{id}``), never the raw path; paths that match no
  operation share the label ``unmatched``. The per-request cost is a dictionary lookup,
  a counter increment and a histogram observation.
* ``DatabaseCollector`` computes, at scrape time and cached for
  ``ORION_METRICS_CACHE_SECONDS``, the gauges read from the database: runs per state type,
  late runs, work-queue backlogs and the service heartbeats (so service metrics are right
  whichever process runs the services).
* ``count_database_error()`` counts database failures seen by requests, services and
  probes.

With ``PROMETHEUS_MULTIPROC_DIR`` set (before the process starts), every serving process
writes its counters to files there and a scrape of any one process reports the sum over
all of them (``prometheus_client``'s multiprocess mode).
"""

from __future__ import annotations

import functools
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DatabaseError, IntegrityError
from django.http import HttpRequest, HttpResponseBase
from django.urls import ResolverMatch
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from api.crud import monitoring
from api.utilities.server import EXCEPTION_ATTRIBUTE

# The ``*_created`` series double the scrape size and no dashboard reads them.
disable_created_metrics()

API_PREFIX = "/api/"
UNMATCHED_ROUTE = "unmatched"
OTHER_METHOD = "other"
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_PATH_PARAMETER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")

HTTP_REQUESTS = Counter(
    "orion_http_requests_total",
    "HTTP requests answered under /api/ (health checks excepted), by route template.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "orion_http_request_duration_seconds",
    "Time to build the answer of an HTTP request under /api/, by route template.",
    ["method", "route"],
)
DATABASE_ERRORS = Counter(
    "orion_database_errors_total",
    "Database errors (other than integrity conflicts), by where they were seen and their class.",
    ["source", "error"],
)


def multiprocess_dir() -> str | None:
    """The shared metrics directory of multiprocess mode, if one is configured."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def count_database_error(source: str, exc: BaseException) -> None:
    """Count ``exc`` if it is a database failure (integrity conflicts are answers, not failures)."""
    if isinstance(exc, DatabaseError) and not isinstance(exc, IntegrityError):
        DATABASE_ERRORS.labels(source, type(exc).__name__).inc()


def unmatched_route(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a catch-all view, so the requests it answers share the ``unmatched`` label."""
    view.metrics_route = UNMATCHED_ROUTE  # type: ignore[attr-defined]
    return view


@functools.lru_cache(maxsize=1024)
def _template(route: str) -> str:
    return "/" + _PATH_PARAMETER.sub(r"{\1}", route)


def route_label(match: ResolverMatch | None) -> str:
    """The ``route`` label of a request: its URL pattern in OpenAPI spelling."""
    if match is None:
        return UNMATCHED_ROUTE
    override = getattr(match.func, "metrics_route", None)
    if override is not None:
        return override
    return _template(match.route)


class MetricsMiddleware:
    """Count and time every request it sees (see the module docstring).

    Not used at all when ``ORION_METRICS_ENABLED`` is false.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        if not settings.ORION_METRICS_ENABLED:
            raise MiddlewareNotUsed
        self.get_response = get_response
        # Label lookups take a lock inside prometheus_client; the children are reused instead.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)  # the UI and the admin are not counted
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        method = request.method if request.method in _KNOWN_METHODS else OTHER_METHOD
        route = route_label(request.resolver_match)
        key = (method, route, response.status_code)
        children = self._children.get(key)
        if children is None:
            children = self._children.setdefault(
                key,
                (HTTP_REQUESTS.labels(method, route, str(response.status_code)), HTTP_REQUEST_DURATION.labels(method, route)),
            )
        children[0].inc()
        children[1].observe(elapsed)
        failure = getattr(request, EXCEPTION_ATTRIBUTE, None)
        if failure is not None:
            count_database_error("request", failure)
        return response


class DatabaseCollector:
    """The gauges read from the database, computed at scrape time and cached briefly."""

    def __init__(self, cache_seconds: float | None = None) -> None:
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._families: list[Metric] = []

    def describe(self) -> list[Metric]:
        """Nothing: registering the collector must not query the database."""
        return []

    def collect(self) -> Iterator[Metric]:
        """The cached gauges, recomputed when older than the cache period."""
        ttl = settings.ORION_METRICS_CACHE_SECONDS if self.cache_seconds is None else self.cache_seconds
        with self._lock:
            now = time.monotonic()
            if self._read_at is None or now - self._read_at >= ttl:
                self._families = self._read()
                self._read_at = now
            families = self._families
        return iter(families)

    def _read(self) -> list[Metric]:
        up = GaugeMetricFamily("orion_database_up", "Whether the last metrics query reached the database.")
        try:
            flow_runs, late = monitoring.count_flow_runs_by_state()
            task_runs = monitoring.count_task_runs_by_state()
            backlogs = monitoring.work_queue_backlogs()
            heartbeats = monitoring.read_heartbeats()
        except DatabaseError as exc:
            count_database_error("metrics", exc)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        flow_family = GaugeMetricFamily("orion_flow_runs", "Flow runs by state type.", labels=["state_type"])
        for state_type, n in sorted(flow_runs.items()):
            flow_family.add_metric([state_type], n)
        task_family = GaugeMetricFamily("orion_task_runs", "Task runs by state type.", labels=["state_type"])
        for state_type, n in sorted(task_runs.items()):
            task_family.add_metric([state_type], n)
        late_family = GaugeMetricFamily("orion_late_flow_runs", "Flow runs in the Late state.")
        late_family.add_metric([], late)
        backlog_family = GaugeMetricFamily(
            "orion_work_queue_backlog",
            "Scheduled flow runs that are due and not yet picked up, by work queue.",
            labels=["work_pool", "work_queue"],
        )
        for pool, queue, n in backlogs:
            backlog_family.add_metric([pool, queue], n)
        success_family = GaugeMetricFamily(
            "orion_service_last_success_timestamp_seconds",
            "When each background service last finished a loop without error (Unix time).",
            labels=["service"],
        )
        duration_family = GaugeMetricFamily(
            "orion_service_loop_duration_seconds",
            "How long each background service's last successful loop took.",
            labels=["service"],
        )
        for name, row in sorted(heartbeats.items()):
            success_family.add_metric([name], row.last_success.timestamp())
            duration_family.add_metric([name], row.last_duration_seconds)
        return [up, flow_family, task_family, late_family, backlog_family, success_family, duration_family]


@functools.cache
def exposition_registry() -> CollectorRegistry:
    """The registry a scrape reads: this process's metrics, or every process's in
    multiprocess mode, plus the database gauges (once, whatever the process count)."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    registry.register(DatabaseCollector())
    return registry


def render(accept: str | None) -> tuple[bytes, str]:
    """The scrape body for an ``Accept`` header, and its content type."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(exposition_registry()), content_type
