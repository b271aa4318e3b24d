"""The UI's AppConfig."""

from django.apps import AppConfig


class UiConfig(AppConfig):
    """Orion UI app."""

    name = "ui"
    verbose_name = "Orion UI"
