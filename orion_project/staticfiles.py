"""Static-file storage whose URLs follow the request's URL prefix.

Django's ``StaticFilesStorage`` reads ``STATIC_URL`` once, when it is first used (often at
start-up, outside any request), and ``settings.STATIC_URL`` itself caches the script prefix
of its first reader; so behind a path prefix the admin's stylesheets would be linked
without it. Here the base URL is built on every use from the setting as written: a relative
``STATIC_URL`` gets the script prefix of the request being served (``ORION_URL_PREFIX`` or
the ASGI root path).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.storage import StaticFilesStorage
from django.urls import get_script_prefix


class PrefixedStaticFilesStorage(StaticFilesStorage):
    """``StaticFilesStorage`` with ``base_url`` taken from ``STATIC_URL`` at each use."""

    @property
    def base_url(self) -> str:  # type: ignore[override]
        """``STATIC_URL`` as seen by the current request (prefix included)."""
        url = settings._wrapped.STATIC_URL  # as written, before Django's cached prefixing
        if not url.startswith(("/", "http://", "https://")):
            url = get_script_prefix() + url
        return url if url.endswith("/") else url + "/"
