"""Fixtures and hooks shared by the whole suite (keep this small: resource-specific
fixtures live next to their tests, shared row factories in ``tests/fixtures``)."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.fixtures.plugin"]


def pytest_report_header(config: pytest.Config) -> str:
    """Say which database the run uses: CI runs the suite twice and the logs must tell
    the SQLite run from the PostgreSQL one."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    where = db.get("HOST") or db.get("NAME")
    return f"orion database: {db['ENGINE'].rsplit('.', 1)[-1]} ({where})"
