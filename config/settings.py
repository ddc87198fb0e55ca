"""Relay's settings. Every value comes from the environment; the defaults run the embedded
mode (SQLite, one web process, one worker) safely on a single machine."""

from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from config.env import env_bool, env_float, env_int, env_list, env_str, local_secrets, owner_only_database
from core.process import UNUSED_EVERYWHERE, leave_out

# Every process reads the settings before any library is loaded: the optional imports that no Relay
# process uses are left out from here on (core.process).
leave_out(UNUSED_EVERYWHERE)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("RELAY_DATA_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

_needs_local_secrets = not (env_str("SECRET_KEY") and env_str("RELAY_ENCRYPTION_KEYS"))
_local = local_secrets(DATA_DIR / "secrets.env") if _needs_local_secrets else {}
SECRET_KEY = env_str("SECRET_KEY") or _local["SECRET_KEY"]
# Fernet keys, newest first: the first encrypts, all of them decrypt (key rotation).
RELAY_ENCRYPTION_KEYS = env_list("RELAY_ENCRYPTION_KEYS") or _local["RELAY_ENCRYPTION_KEYS"].split(",")
# Generated into this host's var/secrets.env: other hosts (scaled-out workers) cannot read its data.
RELAY_KEYS_ARE_LOCAL = not env_list("RELAY_ENCRYPTION_KEYS")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_tasks_db",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "destinations",
    "mapper",
    "executor",
]

# Sessions, users and messages are skipped on the ingest paths (accounts.middleware.is_ingest_path).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.problems.ProblemJsonMiddleware",
    "core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "accounts.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "accounts.middleware.AuthenticationMiddleware",
    "accounts.middleware.AbsoluteSessionLimitMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    "accounts.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # login throttling: first, so a locked-out user stops here
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("RELAY_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_float("RELAY_LOGIN_COOLOFF_HOURS", 0.25)
# Failures are counted per address, whatever the names typed: a new name buys no new tries. (A count per
# name and address as well would add nothing with one limit: the address's count is never the smaller.)
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
# Names that are nobody's are recorded as a keyed hash (accounts.login_names), in axes' tables as in the audit log.
AXES_USERNAME_CALLABLE = "accounts.login_names.axes_username"
# A success forgives only that user's own failures from that address (accounts.audit), not the address's:
# else signing in to one's own account would reset the count of guesses at someone else's.
AXES_RESET_ON_SUCCESS = False
# While an address is locked out its attempts are refused unseen: neither recorded nor extending the lockout.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Two-factor sign-in (TOTP) is optional for everyone; this makes it required for admins.
RELAY_REQUIRE_2FA_FOR_ADMINS = env_bool("RELAY_REQUIRE_2FA_FOR_ADMINS", False)

# Sessions: 30 minutes idle (renewed on every request), 12 hours at most (accounts.middleware).
SESSION_COOKIE_AGE = env_int("RELAY_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
RELAY_SESSION_MAX_SECONDS = env_int("RELAY_SESSION_MAX_SECONDS", 12 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Behind a reverse proxy: the client address is the last one the proxy adds to X-Forwarded-For.
RELAY_BEHIND_PROXY = env_bool("RELAY_BEHIND_PROXY", False)
# Behind HTTPS (production): secure cookies, HSTS and redirects to https.
RELAY_HTTPS = env_bool("RELAY_HTTPS", False)
if RELAY_HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("RELAY_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("RELAY_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if RELAY_BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "accounts.roles.roles",
            ],
        },
    },
]

_default_database = f"sqlite:///{DATA_DIR / 'relay.sqlite3'}"
# Connections are kept for a minute (checked before reuse) rather than opened per request.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _default_database),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE transactions and a
    # busy timeout make concurrent writers wait for each other instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        # secure_delete zeroes what is deleted (an erased person's rows) instead of leaving it in free pages.
        # temp_store keeps SQLite's temporary files in memory: a statement journal of an update of many
        # deliveries went to /var/tmp (payloads in it, written to disk outside the data folder), at
        # eight writes a delivery in bench/pipeline.py's many-keys run.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        owner_only_database(Path(DATABASES["default"]["NAME"]))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "destinations:list"
LOGOUT_REDIRECT_URL = "login"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["config.api.RolePermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "config.api.StrictLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.problems.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Relay API",
    "DESCRIPTION": "Manage destinations, actions, previews, deliveries and configuration. Errors are RFC 9457 "
    "problem documents. Authenticate with `Authorization: Bearer <personal API token>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["config.api.RolePermission"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # What a destination says of events without consent information; an action's choice of the same name
    # may also leave it to its destination (""): two enums of one field name, the destination's named here.
    "ENUM_NAME_OVERRIDES": {"DestinationConsentWhenUnknownEnum": "destinations.privacy.CONSENT_WHEN_UNKNOWN_CHOICES"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "executor.openapi.add_ingest_paths",
    ],
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

FORM_RENDERER = "config.forms.FormRenderer"

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # httpx logs full request URLs at INFO; ours never carry personal data, but keep it quiet.
    # django-tasks-db's worker says it starts and stops at INFO each time `manage.py worker` hands
    # it the tasks that are ready (executor/management/commands/worker.py).
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
        # Waitress warns "Task queue depth is N" for every request that waits for a free thread, which
        # under a steady load is nearly every request: a scrubbed log line per request that says only "busy".
        "waitress.queue": {"level": "ERROR"},
    },
}

# Error reports never include request data or local variables; no error mail is sent.
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.logging_filters.NoRequestDataReporterFilter"
ADMINS: list[tuple[str, str]] = []

# Attentive. The base URL is an operator setting only: never editable from the UI or the API.
ATTENTIVE_API_URL = env_str("ATTENTIVE_API_URL", "https://api.attentivemobile.com")
# Plain http to ATTENTIVE_API_URL, for a local test fake only (benches, e2e runs with production settings);
# `check --deploy` refuses it.
RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE = env_bool("RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE", False)
ATTENTIVE_TIMEOUT_SECONDS = env_float("ATTENTIVE_TIMEOUT_SECONDS", 10.0)
ATTENTIVE_CONNECT_TIMEOUT_SECONDS = env_float("ATTENTIVE_CONNECT_TIMEOUT_SECONDS", 5.0)

# Delivery: pacing per API key and endpoint (Attentive allows 150/s), retries, concurrency.
# The most any endpoint is paced at; each endpoint aims 5% under its documented limit (150/s for
# custom events and attributes) or the lower limit Attentive states in x-ratelimit-limit, and adapts.
RELAY_RATE_LIMIT_PER_SECOND = env_float("RELAY_RATE_LIMIT_PER_SECOND", 150.0)
RELAY_SEND_CONCURRENCY = env_int("RELAY_SEND_CONCURRENCY", 16)
# A sender keeps its key this long after the last due delivery, ready for the next ones.
RELAY_SENDER_IDLE_SECONDS = env_float("RELAY_SENDER_IDLE_SECONDS", 2.0)
RELAY_RETRY_BASE_SECONDS = env_float("RELAY_RETRY_BASE_SECONDS", 10.0)
RELAY_RETRY_CAP_SECONDS = env_float("RELAY_RETRY_CAP_SECONDS", 300.0)
RELAY_RETRY_WINDOW_SECONDS = env_float("RELAY_RETRY_WINDOW_SECONDS", 4 * 3600.0)
# A worker that stops mid-request loses its key after RELAY_SENDER_LEASE_SECONDS and its claimed
# deliveries after RELAY_SENDING_LEASE_SECONDS (keep it above the request timeout).
RELAY_SENDER_LEASE_SECONDS = env_float("RELAY_SENDER_LEASE_SECONDS", 30.0)
RELAY_SENDING_LEASE_SECONDS = env_float("RELAY_SENDING_LEASE_SECONDS", 60.0)
RELAY_SWEEP_INTERVAL_SECONDS = env_float("RELAY_SWEEP_INTERVAL_SECONDS", 5.0)
# manage.py serve kills and restarts a worker that has not beaten for this long (SIGSTOP, a hang).
RELAY_WORKER_STALL_SECONDS = env_float("RELAY_WORKER_STALL_SECONDS", 1.5)
# serve kills and replaces a web process (of --web-processes) whose loop has not turned for this long.
RELAY_WEB_STALL_SECONDS = env_float("RELAY_WEB_STALL_SECONDS", 10.0)
RELAY_WORKER_POLL_SECONDS = env_float("RELAY_WORKER_POLL_SECONDS", 0.02)
# A worker keeps routing this long after the last event, looking for new ones every poll (executor.router_thread).
RELAY_ROUTER_IDLE_SECONDS = env_float("RELAY_ROUTER_IDLE_SECONDS", 2.0)
RELAY_ROUTER_POLL_SECONDS = env_float("RELAY_ROUTER_POLL_SECONDS", 0.005)

# Prometheus scrapes /metrics with this bearer token; without one, /metrics is off (404).
RELAY_METRICS_TOKEN = env_str("RELAY_METRICS_TOKEN", "")

# Healthcare deployments: new destinations start in allowlist mode (only names an admin lists leave).
RELAY_ALLOWLIST_BY_DEFAULT = env_bool("RELAY_ALLOWLIST_BY_DEFAULT", False)

# Event bodies, payloads and response excerpts are deleted after this many days; outcomes and
# attempt metadata stay.
RELAY_RETENTION_DAYS = env_int("RELAY_RETENTION_DAYS", 30)
# Finished rows of the task queue (no personal data) are pruned after this many days.
RELAY_TASK_RESULTS_DAYS = env_int("RELAY_TASK_RESULTS_DAYS", 1)
# After an erasure request, events about that person are refused for this many days.
RELAY_ERASURE_REFUSE_DAYS = env_int("RELAY_ERASURE_REFUSE_DAYS", 90)
# Seconds from filing an erasure request to forwarding it: by default what a send judged just before
# the request may still take to arrive (its pace, up to a second, then the HTTP timeouts).
RELAY_ERASURE_FORWARD_DELAY_SECONDS = env_float(
    "RELAY_ERASURE_FORWARD_DELAY_SECONDS", 1.0 + ATTENTIVE_CONNECT_TIMEOUT_SECONDS + ATTENTIVE_TIMEOUT_SECONDS
)

# On SQLite, concurrent ingest requests are committed together (executor.group_commit).
RELAY_INGEST_GROUP_COMMIT = env_bool("RELAY_INGEST_GROUP_COMMIT", True)

# Browser sources (public write keys): requests a second per key and per client address sending with it,
# each allowing bursts of twice as many (executor.sources), per web process.
RELAY_BROWSER_RATE_PER_KEY = env_float("RELAY_BROWSER_RATE_PER_KEY", 100.0)
RELAY_BROWSER_RATE_PER_IP = env_float("RELAY_BROWSER_RATE_PER_IP", 5.0)

# Ingest limits are enforced by executor.envelope; let Django read bodies up to them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024 + 1024

# The first admin created by `manage.py bootstrap` (a password is generated when empty).
RELAY_ADMIN_USERNAME = env_str("RELAY_ADMIN_USERNAME", "admin")
RELAY_ADMIN_EMAIL = env_str("RELAY_ADMIN_EMAIL", "admin@localhost")

# Last: every log record is scrubbed of personal data as it is created (config.logging_filters).
from config.logging_filters import install_record_factory  # noqa: E402

install_record_factory()
