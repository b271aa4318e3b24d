"""The Django ASGI handler used by ``create_app()``, able to serve a per-app URLconf."""

from __future__ import annotations

from typing import Any

from django.core.handlers.asgi import ASGIHandler


class OrionASGIHandler(ASGIHandler):
    """Django's ASGI handler; with ``urlconf`` set, requests resolve against it instead of
    ``ROOT_URLCONF`` (how an ephemeral app serves the API alone); ``serve_ui`` tells the
    static-file middleware whether the SPA's files belong to this app."""

    def __init__(self, urlconf: Any = None, serve_ui: bool = True) -> None:
        super().__init__()
        self.urlconf = urlconf
        self.serve_ui = serve_ui

    def create_request(self, scope: dict[str, Any], body_file: Any) -> Any:
        """Build the request and point it at this app's URLconf."""
        request, error_response = super().create_request(scope, body_file)
        if request is not None:
            request.serve_ui = self.serve_ui
            if self.urlconf is not None:
                request.urlconf = self.urlconf
        return request, error_response
