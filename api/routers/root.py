"""Root routes: ``/hello``, and the operations probes ``/ready`` and ``/metrics``.

``/ready`` and ``/metrics`` are extra to the Prefect 2.8.7 API; ``/health`` (defined with
the app in ``api.server``) stays the cheap liveness check.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from api import metrics
from api.errors import OrionHTTPError
from api.readiness import readiness_report
from api.utilities.server import OrionRouter, json_response

router = OrionRouter(prefix="", tags=["Root"])


@router.get("/hello")
def hello(request: HttpRequest) -> str:
    """Say hello."""
    return "👋"


@router.get("/ready", tags=["Monitoring"])
def ready(request: HttpRequest) -> HttpResponse:
    """200 when the database answers and every enabled service is looping; else 503.

    The body is the same either way: ``{"database": "ok" | "unavailable", "services":
    {name: {"status", "last_success", "loop_seconds"}}}``.
    """
    is_ready, body = readiness_report()
    return json_response(body, 200 if is_ready else 503)


@router.get("/metrics", tags=["Monitoring"])
def read_metrics(request: HttpRequest) -> HttpResponse:
    """The metrics in the Prometheus text format (OpenMetrics when the scraper asks for it)."""
    if not settings.ORION_METRICS_ENABLED:
        raise OrionHTTPError(404, "Not Found")
    body, content_type = metrics.render(request.headers.get("accept"))
    return HttpResponse(body, content_type=content_type)
