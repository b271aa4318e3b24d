"""Operations routes: ``GET /ready`` (readiness probe) and ``GET /metrics`` (Prometheus).

Both are extra to the Prefect 2.8.7 API; ``/health`` (defined with the app in
``api.server``) stays the cheap liveness check.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from api import metrics
from api.errors import OrionHTTPError
from api.readiness import readiness_report
from api.utilities.server import OrionRouter, json_response

# The routes live at the API root like the root router's, but ``create_orion_api`` keys
# routers (and their overrides) by prefix: "/" mounts at the same place as "" under a key
# of its own, so overriding the root router keeps these probes.
router = OrionRouter(prefix="/", tags=["Monitoring"])


@router.get("/ready")
def ready(request: HttpRequest) -> HttpResponse:
    """200 when the database answers and every enabled service is looping; else 503.

    The body is the same either way: ``{"database": "ok" | "unavailable", "services":
    {name: {"status", "last_success", "loop_seconds"}}}``.
    """
    is_ready, body = readiness_report()
    return json_response(body, 200 if is_ready else 503)


@router.get("/metrics")
def read_metrics(request: HttpRequest) -> HttpResponse:
    """The metrics in the Prometheus text format (OpenMetrics when the scraper asks for it)."""
    if not settings.ORION_METRICS_ENABLED:
        raise OrionHTTPError(404, "Not Found")
    body, content_type = metrics.render(request.headers.get("accept"))
    return HttpResponse(body, content_type=content_type)
