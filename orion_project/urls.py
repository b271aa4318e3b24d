"""Root URL configuration: the API under /api, the Django admin, and the UI."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, path

from api.server import api_urlpatterns


def build_urlpatterns(ui: bool) -> list[URLPattern | URLResolver]:
    """The project's routes; the UI's catch-all comes last so it never shadows the rest."""
    patterns: list[URLPattern | URLResolver] = [path("admin/", admin.site.urls), *api_urlpatterns()]
    if ui:
        from ui.urls import urlpatterns as ui_urlpatterns

        patterns += ui_urlpatterns
    return patterns


urlpatterns = build_urlpatterns(ui=settings.PREFECT_UI_ENABLED)
