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
    normalize_url_prefix,
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
# Unset: the UI calls the API on its own origin, under the app's URL prefix (see ui.views).
PREFECT_UI_API_URL = env_str("PREFECT_UI_API_URL")
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
# --- Operations: readiness and metrics (issue 11, branch ops) ---------------------------
# Metrics off: no request counting at all and GET /api/metrics answers 404.
ORION_METRICS_ENABLED = env_bool("ORION_METRICS_ENABLED", True)
# How long the database gauges of /api/metrics are reused between scrapes.
ORION_METRICS_CACHE_SECONDS = env_float("ORION_METRICS_CACHE_SECONDS", 5.0)
# ------------------------------------------------------------------------------------------
# --- Run health and retention (issue 11: crashed runs, stuck cancellations, retention) ---
PREFECT_API_SERVICES_CRASHED_RUNS_ENABLED = env_bool("PREFECT_API_SERVICES_CRASHED_RUNS_ENABLED", True)
PREFECT_API_SERVICES_CRASHED_RUNS_LOOP_SECONDS = env_float("PREFECT_API_SERVICES_CRASHED_RUNS_LOOP_SECONDS", 60.0)
PREFECT_API_SERVICES_CRASHED_RUNS_AFTER_SECONDS = env_float(
    "PREFECT_API_SERVICES_CRASHED_RUNS_AFTER_SECONDS", 3600.0
)
PREFECT_API_SERVICES_CANCELLATION_CLEANUP_TIMEOUT_SECONDS = env_float(
    "PREFECT_API_SERVICES_CANCELLATION_CLEANUP_TIMEOUT_SECONDS", 180.0
)
PREFECT_API_SERVICES_RETENTION_ENABLED = env_bool("PREFECT_API_SERVICES_RETENTION_ENABLED", True)
PREFECT_API_SERVICES_RETENTION_LOOP_SECONDS = env_float("PREFECT_API_SERVICES_RETENTION_LOOP_SECONDS", 3600.0)
PREFECT_API_SERVICES_RETENTION_DAYS = env_float("PREFECT_API_SERVICES_RETENTION_DAYS", 90.0)
# --- end run health and retention ---------------------------------------------------------

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
# ALLOWED_HOSTS: see the accounts-and-security block below.
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
    "corsheaders",
    "axes",
    "api",
    "ui",
]

# Every request, the API's included, runs through this head and tail.
_MIDDLEWARE_HEAD = [
    "api.metrics.MetricsMiddleware",  # first, so it counts every answer (ops: metrics)
    "corsheaders.middleware.CorsMiddleware",
    "api.auth.middleware.APIGuardMiddleware",
]
_MIDDLEWARE_TAIL = [
    "api.middleware.APIErrorShapeMiddleware",
    "api.middleware.ResponseScopedExitStackMiddleware",
]

MIDDLEWARE = [
    *_MIDDLEWARE_HEAD,
    "ui.middleware.UIWhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    *_MIDDLEWARE_TAIL,
    "axes.middleware.AxesMiddleware",
]

# Requests under /api/ skip what only the admin and the UI need (sessions, auth, CSRF,
# messages, static files): the API is stateless and its views are CSRF-exempt.
API_MIDDLEWARE = [*_MIDDLEWARE_HEAD, *_MIDDLEWARE_TAIL]

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

# --- URL path prefix (issue 11, item 8) -----------------------------------------------------
# Serve everything (API, UI, websocket, admin, static files) under this path, e.g. "/prefect"
# behind a reverse proxy. Empty: the ASGI server's root_path decides (daphne --root-path).
ORION_URL_PREFIX = normalize_url_prefix(env_str("ORION_URL_PREFIX", ""))

# --- Database outage recovery (issue 11, item 3) -------------------------------------------
# While the database is down, API calls answer 503 with Retry-After within the pool timeout
# instead of hanging; the pool's reconnect back-off is bounded so it recovers in seconds.
ORION_DATABASE_POOL_TIMEOUT = env_float("ORION_DATABASE_POOL_TIMEOUT", 3.0)
ORION_DATABASE_RECONNECT_TIMEOUT = env_float("ORION_DATABASE_RECONNECT_TIMEOUT", 10.0)
ORION_DATABASE_RETRY_AFTER_SECONDS = env_int("ORION_DATABASE_RETRY_AFTER_SECONDS", 5)

Path(PREFECT_HOME).mkdir(parents=True, exist_ok=True)
if PREFECT_API_DATABASE_CONNECTION_URL:
    _default_db = database_from_url(
        PREFECT_API_DATABASE_CONNECTION_URL,
        Path(PREFECT_HOME),
        connect_timeout=PREFECT_API_DATABASE_CONNECTION_TIMEOUT,
        pool_timeout=ORION_DATABASE_POOL_TIMEOUT,
        reconnect_timeout=ORION_DATABASE_RECONNECT_TIMEOUT,
    )
    if PREFECT_API_DATABASE_PASSWORD and not _default_db.get("PASSWORD"):
        _default_db["PASSWORD"] = PREFECT_API_DATABASE_PASSWORD
else:
    _default_db = sqlite_database(str(Path(PREFECT_HOME) / "orion.db"))
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channels: Redis when several server processes serve, in-memory otherwise.
REDIS_URL = env_str("REDIS_URL")
# --- Scale-out (several serving processes): the Redis channel layer ----------------------
# Key prefix in Redis, so several deployments (or test runs) can share one Redis database.
ORION_REDIS_PREFIX = env_str("ORION_REDIS_PREFIX", "asgi")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels-redis waits on Redis in 5 s blocking pops: a client read timeout at or
                # below that (redis-py 8's default) closes every idle websocket with 1011.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": ORION_REDIS_PREFIX,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# Relative, so Django puts the URL prefix (ORION_URL_PREFIX / root path) in front of it.
STATIC_URL = "static/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Static URLs follow the request's URL prefix (see orion_project.staticfiles).
    "staticfiles": {"BACKEND": "orion_project.staticfiles.PrefixedStaticFilesStorage"},
}
# The SPA is served from its source folder, so no collectstatic step is needed.
UI_ROOT = BASE_DIR / "ui" / "app"
# --- Official 2.8.7 UI option (issue 12) ---
# PREFECT_UI_FLAVOR=prefect serves, instead of ours, the UI that
# `manage.py orion_fetch_prefect_ui` extracted from the prefect==2.8.7 wheel.
PREFECT_UI_FLAVOR = env_str("PREFECT_UI_FLAVOR", "orion")
PREFECT_UI_PREFECT_ROOT = str(Path(PREFECT_HOME) / "ui" / "prefect-2.8.7")
if PREFECT_UI_FLAVOR == "prefect":
    UI_ROOT = Path(PREFECT_UI_PREFECT_ROOT)
# --- end official UI option ---
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

# --- Accounts, roles, API tokens and safe defaults (issue 10) ---------------------------
# Every API operation needs a token or a session when true; when false, loopback peers
# may use the API anonymously and other peers get 403 unless ORION_ALLOW_ANONYMOUS_REMOTE.
ORION_AUTH_REQUIRED = env_bool("ORION_AUTH_REQUIRED", False)
ORION_ALLOW_ANONYMOUS_REMOTE = env_bool("ORION_ALLOW_ANONYMOUS_REMOTE", False)
# A verified token is remembered this long per process (0 = look it up on every request):
# revoking through the API or the admin forgets it at once in that process; elsewhere
# (another server process, ``orion_token revoke``) it takes effect within this delay.
ORION_TOKEN_CACHE_SECONDS = env_float("ORION_TOKEN_CACHE_SECONDS", 5.0)
# ``last_used`` of a token is written at most this often (a write per request would take
# SQLite's write lock on every read).
ORION_TOKEN_LAST_USED_RESOLUTION_SECONDS = env_float("ORION_TOKEN_LAST_USED_RESOLUTION_SECONDS", 60.0)

# A DNS-rebinding page that resolves its own name to 127.0.0.1 is refused by the Host check.
_API_HOST = (PREFECT_SERVER_API_HOST or "").strip()
DJANGO_ALLOWED_HOSTS_EXTRA = env_list("DJANGO_ALLOWED_HOSTS", [])
ALLOWED_HOSTS = [
    "localhost",
    "127.0.0.1",
    "[::1]",
    *([_API_HOST] if _API_HOST and _API_HOST not in ("0.0.0.0", "::") else []),
    *DJANGO_ALLOWED_HOSTS_EXTRA,
]

# CORS with Prefect 3's setting names; unset or empty = no cross-origin access at all.
PREFECT_SERVER_CORS_ALLOWED_ORIGINS = env_list("PREFECT_SERVER_CORS_ALLOWED_ORIGINS", [])
PREFECT_SERVER_CORS_ALLOWED_METHODS = env_list("PREFECT_SERVER_CORS_ALLOWED_METHODS", [])
PREFECT_SERVER_CORS_ALLOWED_HEADERS = env_list("PREFECT_SERVER_CORS_ALLOWED_HEADERS", [])
CORS_ALLOW_ALL_ORIGINS = "*" in PREFECT_SERVER_CORS_ALLOWED_ORIGINS
CORS_ALLOWED_ORIGINS = [o for o in PREFECT_SERVER_CORS_ALLOWED_ORIGINS if o != "*"]
CORS_URLS_REGEX = r"^/api(?:/.*)?$"
CORS_ALLOW_METHODS = PREFECT_SERVER_CORS_ALLOWED_METHODS or [
    "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT",
]
CORS_ALLOW_HEADERS = PREFECT_SERVER_CORS_ALLOWED_HEADERS or (
    ["*"] if CORS_ALLOW_ALL_ORIGINS else [
        "accept", "authorization", "content-type", "user-agent", "x-csrftoken",
        "x-requested-with", "x-prefect-api-version", "x-request-id",
    ]
)
CORS_PREFLIGHT_MAX_AGE = 600  # as the original

# Sessions for the UI and the admin; the SPA reads the CSRF cookie to send X-CSRFToken.
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Login brute force: django-axes locks a username+address pair out after repeated failures.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("ORION_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_float("ORION_LOGIN_COOLOFF_HOURS", 0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
