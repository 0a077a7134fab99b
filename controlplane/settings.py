"""Gantry's settings, read from the environment.

Every variable is listed with its default in the README. Production refuses to
start without a strong SECRET_KEY; local development (`make run`) needs nothing.
"""

import re
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from apps.core.lib.urls import http_url_problem, redact_userinfo
from controlplane.envvars import env_bool, env_fractions, env_int, env_list, env_secret, env_str
from controlplane.logconfig import build_logging
from controlplane.promql import DEFAULT_PROMQL, load_overrides
from controlplane.statedir import private_dir, private_file

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
    "csp",
    "axes",
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
    "csp.middleware.CSPMiddleware",
    "apps.core.middleware.ApiBodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
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

# Server addresses may carry passwords: each may come from a mounted secret (NAME_FILE).
DATABASE_URL = env_secret("DATABASE_URL", f"sqlite:///{STATE_DIR / 'gantry.sqlite3'}")
# Connections are kept a minute, and checked before a request or task reuses one, so a
# database restart costs no request once it is back. (Celery closes its connections
# before and after each task: its Django fixup, on by default, unless CELERY_DB_REUSE_MAX.)
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        # Created owner-only before SQLite opens it; its -wal and -shm files copy its mode.
        private_file(Path(DATABASES["default"]["NAME"]), "DATABASE_URL")
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

REDIS_URL = env_secret("REDIS_URL", "redis://127.0.0.1:6379/0")
# Redis is a broker and a cache, not the source of truth: during an outage the cache
# misses instead of raising (apps/core/cache.py) and the API throttle counts per process.
CACHES = {
    "default": {
        "BACKEND": "apps.core.cache.FailSoftRedisCache",
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

# Brute-force protection of password sign-in (/login/ and /admin/login/) by django-axes:
# after GANTRY_LOGIN_FAILURE_LIMIT failures for one username, or from one address, that
# username or address is refused for GANTRY_LOGIN_COOLOFF_MIN minutes, whatever password
# it sends. A successful sign-in clears the user's failures. API tokens are not passwords
# and never pass through these backends. Failures are kept in the database, not Redis.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("GANTRY_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("GANTRY_LOGIN_COOLOFF_MIN", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# Every failure is also kept for the admin's "Access failures" page (the newest 1000 a user).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "apps.accounts.signin.lockout_response"

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
# No script reads either cookie: htmx sends the CSRF token from <body hx-headers>.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# HTTPS. Off by default so `make run` and the tests speak plain HTTP; the Helm chart turns
# them on (`manage.py check --deploy` is clean with its settings). Behind a proxy that
# ends TLS, GANTRY_TRUST_X_FORWARDED_PROTO makes its X-Forwarded-Proto count: only set
# it when the proxy overwrites that header, or a client could claim HTTPS.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Kubelets probe over plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
if env_bool("GANTRY_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
# Only the host names below Gantry's own; preloading is the domain owner's decision
# (security.W021 is silenced for that reason unless SECURE_HSTS_PRELOAD is set).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy on every response (django-csp). Pages load scripts and styles
# from our own static files only: no inline <script>, no style="" attributes, no on*
# handlers; data reaches scripts through json_script.
# plotly.js styles its charts at run time: it appends <style> elements (one empty, filled
# through CSSOM, which CSP does not govern; one with its fixed base rules) and sets style
# attributes. The least that keeps charts working: exactly those two <style> contents by
# hash (tests/browser/test_csp.py names any new one after a plotly upgrade), and inline
# style *attributes*, which cannot run script nor hold selectors. No inline script, ever.
PLOTLY_STYLE_ELEMENTS = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # the empty <style>
    "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='",  # plotly.js 4.1's base rules
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-elem": [SELF, *PLOTLY_STYLE_ELEMENTS],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

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
        "apps.core.filtering.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.SafeJSONParser"],
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
if _problem := http_url_problem(PROMETHEUS_URL):
    # Gantry's servers ask this URL on every dashboard view: http(s) to a host, nothing else.
    raise ImproperlyConfigured(f"PROMETHEUS_URL={redact_userinfo(PROMETHEUS_URL)!r} {_problem}")
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
# A Cluster's kubeconfig file must be inside one of these directories (symlinks resolved),
# so a Cluster record can never make the workers read any other file on the host. The
# second is where the Helm chart mounts the kubeconfig Secrets.
GANTRY_KUBECONFIG_DIRS = env_list(
    "GANTRY_KUBECONFIG_DIRS", [str(STATE_DIR.absolute()), "/var/run/secrets/gantry/kubeconfigs"]
)
if relative := [d for d in GANTRY_KUBECONFIG_DIRS if not d.startswith("/")]:
    raise ImproperlyConfigured(
        f"GANTRY_KUBECONFIG_DIRS must list absolute directories; {relative[0]!r} is not, "
        "e.g. /var/run/secrets/gantry/kubeconfigs."
    )
# Empty: Gantry may create namespaces and list each kind across the cluster (the Helm
# chart's rbac.scope=cluster). Otherwise the only namespaces it works in, made by the
# platform beforehand, where it holds a Role each (rbac.scope=namespaces).
GANTRY_NAMESPACES = env_list("GANTRY_NAMESPACES", [])
# The resync is the net for changes the watcher (manage.py watch_clusters) missed.
GANTRY_RESYNC_INTERVAL_S = env_int("GANTRY_RESYNC_INTERVAL_S", 300, minimum=1)
# The watcher: one leader per cluster holds a Lease in this namespace of that cluster,
# renewed every third of GANTRY_WATCH_LEASE_S; a standby takes over within that time.
GANTRY_WATCH_LEASE_NAMESPACE = env_str("GANTRY_WATCH_LEASE_NAMESPACE", "default")
GANTRY_WATCH_LEASE_S = env_int("GANTRY_WATCH_LEASE_S", 15, minimum=1)
# Changes to one deployment within this many milliseconds make one reconcile.
GANTRY_WATCH_COALESCE_S = env_int("GANTRY_WATCH_COALESCE_MS", 250, minimum=0) / 1000
# How often the watcher looks for clusters added, changed or deactivated.
GANTRY_WATCH_CLUSTERS_POLL_S = env_int("GANTRY_WATCH_CLUSTERS_POLL_S", 10, minimum=1)
# A file the watcher touches every 10 s while its loop turns, for a liveness check.
GANTRY_WATCH_HEARTBEAT_FILE = env_str("GANTRY_WATCH_HEARTBEAT_FILE", "")
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
# The deploy form's GPU choices and capacity preview read a cluster's nodes and pods;
# kept this long in the shared cache (an unreachable cluster too, to skip its timeout).
GANTRY_CLUSTER_NODES_CACHE_S = env_int("GANTRY_CLUSTER_NODES_CACHE_S", 10, minimum=0)

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
# The init container that downloads s3://, gs://, azureblob://, https:// and hf://
# artifacts (KServe's storage initializer); a mirror's copy may replace it.
GANTRY_STORAGE_INITIALIZER_IMAGE = env_str(
    "GANTRY_STORAGE_INITIALIZER_IMAGE", "kserve/storage-initializer:v0.15.2"
)
# Model pods name their tier's PriorityClass (gantry-production, -staging, -development;
# apps.deployments.priority). Off where nobody may create the classes: pods would be refused.
GANTRY_PRIORITY_CLASSES = env_bool("GANTRY_PRIORITY_CLASSES", True)

GANTRY_MIG_PROFILES = env_list(
    "GANTRY_MIG_PROFILES",
    ["1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb", "1g.5gb", "2g.10gb"],
)
# What one slice of each profile counts toward a team's GPU total: its compute slices out
# of the seven of an A100 or H100 (`<n>g.` is n/7). Exact fractions, so 7 x 1/7 is 1.
DEFAULT_MIG_GPU_FRACTIONS = {
    "1g.5gb": Fraction(1, 7),
    "1g.10gb": Fraction(1, 7),
    "1g.20gb": Fraction(1, 7),
    "2g.10gb": Fraction(2, 7),
    "2g.20gb": Fraction(2, 7),
    "3g.20gb": Fraction(3, 7),
    "3g.40gb": Fraction(3, 7),
    "4g.20gb": Fraction(4, 7),
    "4g.40gb": Fraction(4, 7),
    "7g.40gb": Fraction(1),
    "7g.80gb": Fraction(1),
}
GANTRY_MIG_GPU_FRACTIONS = {
    **DEFAULT_MIG_GPU_FRACTIONS,
    **env_fractions("GANTRY_MIG_GPU_FRACTIONS"),
}
if _unpriced := [p for p in GANTRY_MIG_PROFILES if p not in GANTRY_MIG_GPU_FRACTIONS]:
    # A slice without a share would count toward no GPU total: refuse to start instead.
    raise ImproperlyConfigured(
        f"GANTRY_MIG_GPU_FRACTIONS has no share of a GPU for the MIG profile(s) "
        f"{', '.join(_unpriced)}; add them, e.g. "
        f"GANTRY_MIG_GPU_FRACTIONS={_unpriced[0]}=1/7 for a one-slice profile."
    )

# Everything to stderr and, unless GANTRY_LOG_FILE is empty, to a rotating file.
GANTRY_LOG_FILE = env_str("GANTRY_LOG_FILE", str(STATE_DIR / "logs" / "gantry.log"))
if GANTRY_LOG_FILE:
    private_dir(Path(GANTRY_LOG_FILE).parent, "GANTRY_LOG_FILE")
LOGGING = build_logging(
    level=env_str("LOG_LEVEL", "INFO"),
    log_format=env_str("LOG_FORMAT", "plain"),
    log_file=GANTRY_LOG_FILE,
    max_bytes=env_int("GANTRY_LOG_FILE_MB", 10, minimum=1) * 1024 * 1024,
    backups=env_int("GANTRY_LOG_FILE_BACKUPS", 5, minimum=0),
)
# DEBUG's error page masks settings and request headers whose names match these, as it
# masks SECRET_KEY: server addresses may carry passwords (redis://:pw@host, user:pw@).
DEFAULT_EXCEPTION_REPORTER_FILTER = "controlplane.debug.SecretSettingsFilter"
