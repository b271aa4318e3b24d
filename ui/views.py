"""UI views: ``/ui-settings`` and the SPA's index fallback."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.utils.html import escape

UI_FLAGS = ["work_pools"]
BASE_TAG = '<base href="/">'


def ui_settings(request: HttpRequest) -> JsonResponse:
    """Where the UI finds the API, and the enabled feature flags."""
    flags = list(UI_FLAGS)
    if settings.PREFECT_EXPERIMENTAL_ENABLE_ARTIFACTS:
        flags.append("artifacts")
    # Without PREFECT_UI_API_URL the API is next to the page, under the same URL prefix,
    # so a reverse proxy needs no extra setting (the original pointed at 127.0.0.1:4200).
    api_url = settings.PREFECT_UI_API_URL or f"{request.META.get('SCRIPT_NAME', '').rstrip('/')}/api"
    return JsonResponse({"api_url": api_url, "flags": flags})


def spa_index(request: HttpRequest) -> HttpResponse:
    """Answer any UI path with the SPA's index.html, so deep links survive a reload.

    The page's ``<base href>`` is the prefix the app is mounted under (the ASGI root path
    a reverse proxy sets), so its relative asset and page URLs resolve from any deep link.
    """
    index = (settings.UI_ROOT / "index.html").read_text(encoding="utf-8")
    prefix = request.META.get("SCRIPT_NAME", "").rstrip("/")
    html = index.replace(BASE_TAG, f'<base href="{escape(prefix)}/">', 1)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    # Sets the csrftoken cookie the SPA sends back on session-authenticated writes.
    get_token(request)
    # The index names the app's assets; it must never be cached stale.
    response["Cache-Control"] = "no-cache"
    return response
