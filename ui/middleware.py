"""WhiteNoise for the SPA, skipping the UI's files for apps that serve no UI."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from whitenoise.middleware import WhiteNoiseMiddleware

INDEX_PATHS = frozenset({"/", "/index.html"})


class UIWhiteNoiseMiddleware(WhiteNoiseMiddleware):
    """Serve static files; the SPA's own files only when the request's app has a UI.

    ``api.asgi.OrionASGIHandler`` sets ``request.serve_ui`` for apps built
    without a UI (ephemeral, or ``PREFECT_UI_ENABLED=false``). The index page itself is
    left to ``ui.views.spa_index``, which fills in the page's base URL.
    """

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        """Serve a matching file, or pass the request on."""
        if not getattr(request, "serve_ui", True) and not request.path_info.startswith(self.static_prefix):
            return self.get_response(request)
        if request.path_info in INDEX_PATHS:
            return self.get_response(request)
        return super().__call__(request)
