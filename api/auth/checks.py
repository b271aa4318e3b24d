"""System checks for the auth settings: configurations that leave the API open or unreachable."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

WILDCARD_BINDS = ("0.0.0.0", "::")


@checks.register(checks.Tags.security)
def check_auth_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn about anonymous remote access and a wildcard bind without host names."""
    messages: list[checks.CheckMessage] = []
    if settings.ORION_ALLOW_ANONYMOUS_REMOTE and not settings.ORION_AUTH_REQUIRED:
        messages.append(
            checks.Warning(
                "Anonymous API access from other machines is allowed.",
                hint="Set ORION_AUTH_REQUIRED=true and give clients API tokens (PREFECT_API_KEY).",
                id="orion.W101",
            )
        )
    if (settings.PREFECT_SERVER_API_HOST or "") in WILDCARD_BINDS and not settings.DJANGO_ALLOWED_HOSTS_EXTRA:
        messages.append(
            checks.Warning(
                f"PREFECT_SERVER_API_HOST={settings.PREFECT_SERVER_API_HOST} but DJANGO_ALLOWED_HOSTS is empty: "
                "requests naming this server by anything but localhost/127.0.0.1 get 400.",
                hint="Set DJANGO_ALLOWED_HOSTS to the names clients use for this server.",
                id="orion.W102",
            )
        )
    return messages
