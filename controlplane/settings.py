"""Gantry's settings, read from the environment.

Every variable is listed with its default in the README. Production refuses to
start without a strong SECRET_KEY; local development (`make run`) needs nothing.
"""

import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from controlplane.envvars import env_bool, env_int, env_list, env_secret, env_str
from controlplane.promql import DEFAULT_PROMQL, load_overrides

BASE_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = Path(env_str("GANTRY_STATE_DIR", str(BASE_DIR / ".gantry")))

DEBUG = env_bool("DEBUG", False)

MIN_SECRET_KEY_LENGTH = 50
SECRET_KEY = env_secret("SECRET_KEY")
if len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH:
    if not DEBUG:
        raise ImproperlyConfigured(
            f"SECRET_KEY (or SECRET_KEY_FILE) must be set to at least {MIN_SECRET_KEY_LENGTH} "
            "random characters when DEBUG is off, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
        )
    SECRET_KEY = SECRET_KEY or "insecure-development-only-key-" + "x" * MIN_SECRET_KEY_LENGTH

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "apps.core",
    "apps.accounts",
    "apps.clusters",
    "apps.registry",
    "apps.quotas",
    "apps.deployments",
    "apps.monitoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "apps.core.middleware.ApiBodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "controlplane.urls"
WSGI_APPLICATION = "controlplane.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.gantry",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{STATE_DIR / 'gantry.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # make run's zero-setup database is shared by gunicorn and the Celery worker:
    # WAL and immediate transactions make writers wait their turn instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DATABASE_PREPARED_STATEMENTS", True
):
    # Parameters bound by the server, and a statement run three times on a connection is
    # prepared: PostgreSQL then skips parsing and planning, which was three quarters of
    # its CPU for an API list page (2.7 -> 0.7 ms). Turn off behind a connection pooler
    # in transaction mode that does not keep prepared statements (PgBouncer < 1.21).
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 3}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "gantry",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# ML engineers sign in here; the admin's login page accepts staff only.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "deployments:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # static/vendor/plotly.min.js, straight from the installed plotly package.
    "apps.monitoring.finders.PlotlyJSFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# The REST API (/api/v1/). Tokens are personal; the browser uses its session with CSRF.
GANTRY_API_MAX_BODY_BYTES = env_int("GANTRY_API_MAX_BODY_BYTES", 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = GANTRY_API_MAX_BODY_BYTES
GANTRY_API_THROTTLE_RATE = env_str("GANTRY_API_THROTTLE_RATE", "1200/min")
GANTRY_API_TOKEN_DAYS = env_int("GANTRY_API_TOKEN_DAYS", 90, minimum=1)
GANTRY_API_TOKEN_MAX_DAYS = env_int("GANTRY_API_TOKEN_MAX_DAYS", 365, minimum=1)
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["apps.accounts.authentication.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.KeysetPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "apps.core.filtering.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "apps.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gantry API",
    "DESCRIPTION": "Register models and deploy them onto GPU Kubernetes clusters. "
    "Authenticate with `Authorization: Bearer <token>`. Every error answers "
    '`{"error": code, "detail": sentence, "fields": {field: [messages]}}`.',
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.add_error_responses",
    ],
}

# Celery: Redis is the broker; results are not needed (tasks write to the database).
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Longer than the slowest reconcile, so a message is re-delivered only when its worker died.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600)}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

PROMETHEUS_URL = env_str("PROMETHEUS_URL", "http://127.0.0.1:9090")
PROMETHEUS_TIMEOUT_S = env_int("PROMETHEUS_TIMEOUT_S", 5, minimum=1)
# Dashboards: answers are cached this long in the shared cache, and a Prometheus that
# failed is not asked again for as long, so many viewers never multiply the load.
PROMETHEUS_CACHE_S = env_int("PROMETHEUS_CACHE_S", 15, minimum=0)
# Shortest rate() window; at least four scrape intervals, or rates come out empty.
PROMETHEUS_RATE_WINDOW_S = env_int("PROMETHEUS_RATE_WINDOW_S", 60, minimum=1)
# The dashboards' PromQL templates (controlplane/promql.py), with replacements from a
# JSON file; each Cluster may override them again.
GANTRY_PROMQL = {**DEFAULT_PROMQL, **load_overrides(env_str("GANTRY_PROMQL_FILE", ""))}

# Empty means the embedded local cluster that `make run` starts (.gantry/cluster/kubeconfig).
GANTRY_KUBECONFIG = env_str("GANTRY_KUBECONFIG", "")
GANTRY_RESYNC_INTERVAL_S = env_int("GANTRY_RESYNC_INTERVAL_S", 30, minimum=1)
# Labels this Gantry's objects (gantry.dev/installation) so that two installations, or
# two test runs, sharing a cluster never take each other's objects for orphans.
GANTRY_INSTALLATION = env_str("GANTRY_INSTALLATION", "default")
if not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", GANTRY_INSTALLATION):
    raise ImproperlyConfigured(
        f"GANTRY_INSTALLATION={GANTRY_INSTALLATION!r} must be a lowercase DNS label, e.g. 'prod'."
    )
# A rollout without progress for this long is Degraded (ProgressDeadlineExceeded), and
# rolled back to the last good revision when the deployment has auto-rollback on.
GANTRY_PROGRESS_DEADLINE_S = env_int("GANTRY_PROGRESS_DEADLINE_S", 600, minimum=5)
# Transient API errors (connection, 409, 429, 5xx) are retried this many times with
# capped exponential backoff and jitter; after that the resync picks the record up.
GANTRY_RECONCILE_MAX_RETRIES = env_int("GANTRY_RECONCILE_MAX_RETRIES", 8, minimum=0)
GANTRY_RECONCILE_BACKOFF_CAP_S = env_int("GANTRY_RECONCILE_BACKOFF_CAP_S", 60, minimum=1)

# Pod logs through the API are bounded: at most this many of the last lines, and bytes.
GANTRY_LOG_MAX_BYTES = env_int("GANTRY_LOG_MAX_BYTES", 256 * 1024, minimum=1024)
GANTRY_LOG_MAX_LINES = env_int("GANTRY_LOG_MAX_LINES", 1000, minimum=1)
# A deployment's pods are read live from its cluster and kept this long in the shared
# cache, so a page that polls them does not multiply the API server's load.
GANTRY_PODS_CACHE_S = env_int("GANTRY_PODS_CACHE_S", 3, minimum=0)

# Values of the nvidia.com/gpu.product node label that deployments may ask for.
GANTRY_GPU_MODELS = env_list(
    "GANTRY_GPU_MODELS",
    [
        "NVIDIA-H100-80GB-HBM3",
        "NVIDIA-A100-SXM4-80GB",
        "NVIDIA-A100-SXM4-40GB",
        "NVIDIA-L40S",
        "NVIDIA-L4",
        "NVIDIA-A10G",
        "Tesla-T4",
    ],
)
# MIG profiles, requested as the nvidia.com/mig-<profile> extended resource.
GANTRY_MIG_PROFILES = env_list(
    "GANTRY_MIG_PROFILES",
    ["1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb", "1g.5gb", "2g.10gb"],
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
