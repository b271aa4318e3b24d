"""System checks of the UI (registered by ``UiConfig.ready``).

* ``orion_ui.E001``: ``PREFECT_UI_FLAVOR`` is neither ``orion`` nor ``prefect``.
* ``orion_ui.E002``: ``PREFECT_UI_FLAVOR=prefect`` but the official UI was not fetched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

UI_FLAVORS = ("orion", "prefect")


def check_ui_flavor(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Error on an unknown flavor, or on the official UI missing from PREFECT_HOME."""
    flavor = settings.PREFECT_UI_FLAVOR
    if flavor not in UI_FLAVORS:
        return [Error(f"PREFECT_UI_FLAVOR={flavor!r} is not one of {', '.join(UI_FLAVORS)}.", id="orion_ui.E001")]
    if flavor == "prefect" and settings.PREFECT_UI_ENABLED and not (Path(settings.PREFECT_UI_PREFECT_ROOT) / "index.html").exists():
        return [
            Error(
                f"PREFECT_UI_FLAVOR=prefect but {settings.PREFECT_UI_PREFECT_ROOT} holds no UI.",
                hint="Run `python manage.py orion_fetch_prefect_ui` first.",
                id="orion_ui.E002",
            )
        ]
    return []


def register_checks() -> None:
    """Register the checks of this module."""
    register(check_ui_flavor)
