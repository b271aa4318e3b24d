"""Django settings for the Orion server, read from the environment.

The ``PREFECT_*`` names are module-level settings here (Django treats every upper-case
module attribute as a setting), so ``django.conf.settings.PREFECT_API_DEFAULT_LIMIT`` and
``override_settings(...)`` work, and ``/api/admin/settings`` lists them all.
"""

from __future__ import annotations

import os
from pathlib import Path

from orion_project.env import (
    database_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    sqlite_database,
)

BASE_DIR = Path(__file__).resolve().parent.parent

ORION_VERSION = "2.8.7"
ORION_API_VERSION = "0.8.4"

# --- Prefect settings (names and defaults as in prefect 2.8.7) ---------------------------
PREFECT_HOME = str(Path(env_str("PREFECT_HOME", "~/.prefect")).expanduser())
PREFECT_API_URL = env_str("PREFECT_API_URL")
PREFECT_API_KEY = env_str("PREFECT_API_KEY")
PREFECT_LOGGING_LEVEL = env_str("PREFECT_LOGGING_LEVEL", "INFO")
PREFECT_LOGGING_SERVER_LEVEL = env_str("PREFECT_LOGGING_SERVER_LEVEL", "WARNING")
PREFECT_SERVER_API_HOST = env_str("PREFECT_SERVER_API_HOST", "127.0.0.1")
PREFECT_SERVER_API_PORT = env_int("PREFECT_SERVER_API_PORT", 4200)
PREFECT_API_DATABASE_CONNECTION_URL = env_str("PREFECT_API_DATABASE_CONNECTION_URL") or env_str(
    "DATABASE_URL"
)
PREFECT_API_DATABASE_PASSWORD = env_str("PREFECT_API_DATABASE_PASSWORD")
PREFECT_API_DATABASE_ECHO = env_bool("PREFECT_API_DATABASE_ECHO", False)
PREFECT_API_DATABASE_MIGRATE_ON_START = env_bool("PREFECT_API_DATABASE_MIGRATE_ON_START", True)
PREFECT_API_DATABASE_TIMEOUT = env_float("PREFECT_API_DATABASE_TIMEOUT", 10.0)
PREFECT_API_DATABASE_CONNECTION_TIMEOUT = env_float("PREFECT_API_DATABASE_CONNECTION_TIMEOUT", 5.0)
PREFECT_API_BLOCKS_REGISTER_ON_START = env_bool("PREFECT_API_BLOCKS_REGISTER_ON_START", True)
PREFECT_API_DEFAULT_LIMIT = env_int("PREFECT_API_DEFAULT_LIMIT", 200)
PREFECT_API_TASK_CACHE_KEY_MAX_LENGTH = env_int("PREFECT_API_TASK_CACHE_KEY_MAX_LENGTH", 2000)
PREFECT_API_MAX_FLOW_RUN_GRAPH_NODES = env_int("PREFECT_API_MAX_FLOW_RUN_GRAPH_NODES", 10000)
PREFECT_SERVER_ENCRYPTION_KEY = env_str("PREFECT_SERVER_ENCRYPTION_KEY")
PREFECT_EXPERIMENTAL_ENABLE_ARTIFACTS = env_bool("PREFECT_EXPERIMENTAL_ENABLE_ARTIFACTS", False)
PREFECT_EXPERIMENTAL_ENABLE_WORK_POOLS = env_bool("PREFECT_EXPERIMENTAL_ENABLE_WORK_POOLS", True)
PREFECT_EXPERIMENTAL_ENABLE_WORKERS = env_bool("PREFECT_EXPERIMENTAL_ENABLE_WORKERS", False)
PREFECT_SERVER_ANALYTICS_ENABLED = False  # no telemetry ever leaves the machine

PREFECT_UI_ENABLED = env_bool("PREFECT_UI_ENABLED", True)
PREFECT_UI_API_URL = env_str(
    "PREFECT_UI_API_URL",
    f"http://{PREFECT_SERVER_API_HOST}:{PREFECT_SERVER_API_PORT}/api",
)
PREFECT_UI_URL = env_str("PREFECT_UI_URL", f"http://{PREFECT_SERVER_API_HOST}:{PREFECT_SERVER_API_PORT}")

PREFECT_API_SERVICES_SCHEDULER_ENABLED = env_bool("PREFECT_API_SERVICES_SCHEDULER_ENABLED", True)
PREFECT_API_SERVICES_SCHEDULER_LOOP_SECONDS = env_float("PREFECT_API_SERVICES_SCHEDULER_LOOP_SECONDS", 60.0)
PREFECT_API_SERVICES_SCHEDULER_DEPLOYMENT_BATCH_SIZE = env_int(
    "PREFECT_API_SERVICES_SCHEDULER_DEPLOYMENT_BATCH_SIZE", 100
)
PREFECT_API_SERVICES_SCHEDULER_MAX_RUNS = env_int("PREFECT_API_SERVICES_SCHEDULER_MAX_RUNS", 100)
PREFECT_API_SERVICES_SCHEDULER_MIN_RUNS = env_int("PREFECT_API_SERVICES_SCHEDULER_MIN_RUNS", 3)
PREFECT_API_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME = env_float(
    "PREFECT_API_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME", 100 * 86400.0
)
PREFECT_API_SERVICES_SCHEDULER_MIN_SCHEDULED_TIME = env_float(
    "PREFECT_API_SERVICES_SCHEDULER_MIN_SCHEDULED_TIME", 3600.0
)
PREFECT_API_SERVICES_SCHEDULER_INSERT_BATCH_SIZE = env_int(
    "PREFECT_API_SERVICES_SCHEDULER_INSERT_BATCH_SIZE", 500
)
PREFECT_API_SERVICES_LATE_RUNS_ENABLED = env_bool("PREFECT_API_SERVICES_LATE_RUNS_ENABLED", True)
PREFECT_API_SERVICES_LATE_RUNS_LOOP_SECONDS = env_float("PREFECT_API_SERVICES_LATE_RUNS_LOOP_SECONDS", 5.0)
PREFECT_API_SERVICES_LATE_RUNS_AFTER_SECONDS = env_float("PREFECT_API_SERVICES_LATE_RUNS_AFTER_SECONDS", 5.0)
PREFECT_API_SERVICES_PAUSE_EXPIRATIONS_ENABLED = env_bool(
    "PREFECT_API_SERVICES_PAUSE_EXPIRATIONS_ENABLED", True
)
PREFECT_API_SERVICES_PAUSE_EXPIRATIONS_LOOP_SECONDS = env_float(
    "PREFECT_API_SERVICES_PAUSE_EXPIRATIONS_LOOP_SECONDS", 5.0
)
PREFECT_API_SERVICES_CANCELLATION_CLEANUP_ENABLED = env_bool(
    "PREFECT_API_SERVICES_CANCELLATION_CLEANUP_ENABLED", True
)
PREFECT_API_SERVICES_CANCELLATION_CLEANUP_LOOP_SECONDS = env_float(
    "PREFECT_API_SERVICES_CANCELLATION_CLEANUP_LOOP_SECONDS", 20.0
)
PREFECT_API_SERVICES_FLOW_RUN_NOTIFICATIONS_ENABLED = env_bool(
    "PREFECT_API_SERVICES_FLOW_RUN_NOTIFICATIONS_ENABLED", True
)
PREFECT_API_SERVICES_FLOW_RUN_NOTIFICATIONS_LOOP_SECONDS = env_float(
    "PREFECT_API_SERVICES_FLOW_RUN_NOTIFICATIONS_LOOP_SECONDS", 4.0
)
# Which settings /api/admin/settings masks.
PREFECT_SECRET_SETTINGS = (
    "PREFECT_API_KEY",
    "PREFECT_API_DATABASE_PASSWORD",
    "PREFECT_API_DATABASE_CONNECTION_URL",
    "PREFECT_SERVER_ENCRYPTION_KEY",
)

# --- Django -------------------------------------------------------------------------------
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or "orion-local-only-" + "x" * 40
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["*"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "ninja",
    "api",
    "ui",
]

MIDDLEWARE = [
    "api.utilities.server.CORSMiddleware",
    "ui.middleware.UIWhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "api.server.APIErrorShapeMiddleware",
    "api.utilities.server.ResponseScopedExitStackMiddleware",
]

# Requests under /api/ skip what only the admin and the UI need (sessions, auth, CSRF,
# messages, static files): the API is stateless and its views are CSRF-exempt.
API_MIDDLEWARE = [
    "api.utilities.server.CORSMiddleware",
    "api.server.APIErrorShapeMiddleware",
    "api.utilities.server.ResponseScopedExitStackMiddleware",
]

# Trailing slashes are part of the wire contract: never redirect API paths.
APPEND_SLASH = False

ROOT_URLCONF = "orion_project.urls"
ASGI_APPLICATION = "orion_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

Path(PREFECT_HOME).mkdir(parents=True, exist_ok=True)
if PREFECT_API_DATABASE_CONNECTION_URL:
    _default_db = database_from_url(PREFECT_API_DATABASE_CONNECTION_URL, Path(PREFECT_HOME))
    if PREFECT_API_DATABASE_PASSWORD and not _default_db.get("PASSWORD"):
        _default_db["PASSWORD"] = PREFECT_API_DATABASE_PASSWORD
else:
    _default_db = sqlite_database(str(Path(PREFECT_HOME) / "orion.db"))
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channels: Redis when several server processes serve, in-memory otherwise.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The SPA is served from its source folder, so no collectstatic step is needed.
UI_ROOT = BASE_DIR / "ui" / "app"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_ROOT = UI_ROOT if PREFECT_UI_ENABLED else None
WHITENOISE_MAX_AGE = 60
WHITENOISE_INDEX_FILE = True

# --- Hostile input (issue 13): the request body limit --------------------------------
# Request bodies carry large log batches (the client sends up to 4 MB at once; the
# original server has no limit and takes a 20 MB batch). Larger bodies are a 413.
ORION_MAX_REQUEST_BODY_MB = env_float("ORION_MAX_REQUEST_BODY_MB", 32.0)
DATA_UPLOAD_MAX_MEMORY_SIZE = int(ORION_MAX_REQUEST_BODY_MB * 1024 * 1024)

NINJA_PAGINATION_MAX_LIMIT = PREFECT_API_DEFAULT_LIMIT

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "orion": {"handlers": ["console"], "level": os.environ.get("ORION_LOG_LEVEL", "INFO"), "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
