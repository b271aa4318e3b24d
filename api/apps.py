"""The API's AppConfig: configures limits and arms the services launcher."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    """Orion API app."""

    name = "api"
    label = "api"
    verbose_name = "Orion"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Apply settings the Django-free layers need and arm the launcher.

        Arming only records whether this process serves HTTP; services start when the ASGI
        application is created, so ``migrate``, ``shell`` and tests never run them.
        """
        from django.conf import settings

        from api.checks import register_checks
        from api.auth import checks  # noqa: F401 - registers the auth settings' system checks
        from api.schemas.base import LimitConfig
        from api.services import checks as _run_health_checks  # noqa: F401 - registers the checks
        from api.services import launcher

        LimitConfig.default_limit = settings.PREFECT_API_DEFAULT_LIMIT
        LimitConfig.cache_key_max_length = settings.PREFECT_API_TASK_CACHE_KEY_MAX_LENGTH
        launcher.arm()
        register_checks()
