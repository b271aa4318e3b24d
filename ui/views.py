"""UI views: ``/ui-settings`` and the SPA's index fallback."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpRequest, JsonResponse

UI_FLAGS = ["work_pools"]


def ui_settings(request: HttpRequest) -> JsonResponse:
    """Where the UI finds the API, and the enabled feature flags."""
    flags = list(UI_FLAGS)
    if settings.PREFECT_EXPERIMENTAL_ENABLE_ARTIFACTS:
        flags.append("artifacts")
    return JsonResponse({"api_url": settings.PREFECT_UI_API_URL, "flags": flags})


def spa_index(request: HttpRequest) -> FileResponse:
    """Answer any UI path with the SPA's index.html, so deep links survive a reload."""
    response = FileResponse(open(settings.UI_ROOT / "index.html", "rb"), content_type="text/html; charset=utf-8")
    # The index names the app's assets; it must never be cached stale.
    response["Cache-Control"] = "no-cache"
    return response
