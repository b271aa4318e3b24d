"""The UI's AppConfig."""

from django.apps import AppConfig


class UiConfig(AppConfig):
    """Orion UI app."""

    name = "ui"
    verbose_name = "Orion UI"

    def ready(self) -> None:
        """Register the UI's system checks."""
        from ui.checks import register_checks

        register_checks()
