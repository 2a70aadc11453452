"""Settings for orgdesign, read from the environment.

The defaults let `make run` work on SQLite with no set-up (it sets DJANGO_DEBUG=1). Without
DJANGO_DEBUG the settings are production's: a secret key of its own is required, cookies are
secure, HTTPS is enforced with HSTS (README, Configuration). Tests run on
`orgdesign.settings_test`, which only sets the variables a local run lacks.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", default=False)

# Only for local runs (DJANGO_DEBUG=1); never accepted without DEBUG.
LOCAL_SECRET_KEY = "insecure-local-key-set-DJANGO_SECRET_KEY-in-production"
# Keys published somewhere (this code, its README, Django's templates): never accepted.
KNOWN_SECRET_KEYS = {LOCAL_SECRET_KEY, "change-me", "changeme", "secret", "replace-me"}


def secret_key_problem(key: str) -> str | None:
    """Why a key is not fit for production, or None. The bar of Django's own deploy check
    (security.W009): 50 characters, 5 different ones, not one of Django's insecure keys."""
    if not key:
        return "DJANGO_SECRET_KEY is not set."
    if key in KNOWN_SECRET_KEYS or key.startswith("django-insecure"):
        return "DJANGO_SECRET_KEY is a published key."
    if len(key) < 50 or len(set(key)) < 5:
        return "DJANGO_SECRET_KEY is too short: use at least 50 random characters."
    return None


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
# Why production may not start, or None. Held here and enforced where the app starts
# (orgdesign/production.py): the web processes (wsgi, asgi; runserver too) refuse to load and
# `check --deploy` fails; commands that need no key (makemigrations) still run.
SECRET_KEY_PROBLEM = None if DEBUG else secret_key_problem(SECRET_KEY)
if DEBUG:
    SECRET_KEY = SECRET_KEY or LOCAL_SECRET_KEY

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Django's own form templates, which the project's field template (FORM_RENDERER) extends.
    "django.forms",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "simple_history",
    "axes",
    "teams",
    "pipelines",
    "orgdesign.jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "orgdesign.web.headers.SecurityHeadersMiddleware",
    "orgdesign.web.inputs.BadInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "orgdesign.web.errors.RaceMiddleware",
    # Last, as django-axes asks: it answers a locked-out login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "orgdesign.urls"

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
            ],
            "builtins": ["orgdesign.web.template_filters"],
        },
    },
]

# Forms render through the templates above, so `{{ form.x.as_field_group }}` draws the one
# field template, templates/django/forms/field.html (Django's own widget templates come from
# the "django.forms" app).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

WSGI_APPLICATION = "orgdesign.wsgi.application"

# SQLite file by default (zero set-up); DATABASE_URL=postgres://... for PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login attempts (django-axes, counted in the database so every web process sees them): after
# 5 wrong passwords for one account, or from one address, logins are refused for 15 minutes.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("ORGDESIGN_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("ORGDESIGN_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "orgdesign.web.ratelimit.client_address"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Hashed, compressed file names once `collectstatic` has run (docker-compose does);
# plain names before that, so a run without DEBUG and without collectstatic still works.
_COLLECTED = (STATIC_ROOT / "staticfiles.json").exists()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if _COLLECTED and not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without collected files, whitenoise serves straight from the app's static folders.
WHITENOISE_USE_FINDERS = not _COLLECTED

# Production is served over HTTPS: secure cookies, a redirect from http and HSTS, each of
# which a variable can turn off (a local docker-compose over http does).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe over plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=True)
# Behind a TLS-terminating proxy (the usual deployment) that sets X-Forwarded-Proto.
if env_bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# The API (orgdesign/api/auth.py): bearer tokens first, so a request without credentials
# answers 401; a logged-in browser session also works (viewers read, editors write).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "orgdesign.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["orgdesign.api.auth.OrganisationPermission"],
    "DEFAULT_THROTTLE_CLASSES": ["orgdesign.api.auth.ApiClientThrottle"],
    # Per token; at least 600 a minute (a whole people sync is one request).
    "DEFAULT_THROTTLE_RATES": {"api": os.environ.get("ORGDESIGN_API_RATE", "600/min")},
    "DEFAULT_PAGINATION_CLASS": "orgdesign.api.auth.ApiPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "orgdesign.api.auth.StableOrderingFilter",
    ],
    # JSON only: the browsable API would list every person of the organisation in its forms.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["orgdesign.api.parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "orgdesign.api.views.ApiAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# SCIM (teams/scim/): a budget per token of its own, apart from the API's (an identity
# provider pushes a burst when a group is assigned; empty for none), and the size of a filter,
# refused (400 invalidFilter) before it is parsed.
ORGDESIGN_SCIM_RATE = os.environ.get("ORGDESIGN_SCIM_RATE", "6000/min")
ORGDESIGN_SCIM_FILTER_MAX_CHARS = int(os.environ.get("ORGDESIGN_SCIM_FILTER_MAX_CHARS", "2000"))
ORGDESIGN_SCIM_FILTER_MAX_TERMS = int(os.environ.get("ORGDESIGN_SCIM_FILTER_MAX_TERMS", "100"))

SPECTACULAR_SETTINGS = {
    "TITLE": "orgdesign API",
    "DESCRIPTION": (
        "Read and change one organisation design: people, teams, memberships, pipelines and "
        "engagements; read its findings and its matrix. Send `Authorization: Bearer <token>` "
        "with a token of the organisation. Single objects carry an `ETag`; send it back as "
        "`If-Match` to refuse (412) a write over someone else's change."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Request and response bodies apart, so read-only fields are not offered as writable.
    "COMPONENT_SPLIT_REQUEST": True,
    # Two kinds of role (a person's, an engagement's), sets of stages and severities used twice.
    "ENUM_NAME_OVERRIDES": {
        "PersonRoleEnum": "teams.models.Role",
        "EngagementRoleEnum": "pipelines.models.EngagementRole",
        "StageEnum": "pipelines.models.Stage",
        # A finding's severity and base severity, and the catalogue's, share one set.
        "SeverityEnum": "pipelines.serializers.SEVERITIES",
        # What happened to an object between two designs, and a step of a scenario's review.
        "ChangeActionEnum": ["added", "removed", "changed"],
        "ReviewStepEnum": ["propose", "comment", "approve", "request_changes"],
    },
    # Served from drf-spectacular-sidecar's static files: the docs need no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Rows of the matrix shown per page: the L organisation has 1,000 pipelines.
MATRIX_PAGE_SIZE = int(os.environ.get("ORGDESIGN_MATRIX_PAGE_SIZE", "50"))

# The largest CSV file the import page takes, in bytes. Refused from the request's
# Content-Length before the body is read; Django streams uploads over 2.5 MB to a temporary
# file (FILE_UPLOAD_MAX_MEMORY_SIZE), so the defaults need no change.
ORGDESIGN_IMPORT_MAX_BYTES = int(
    os.environ.get("ORGDESIGN_IMPORT_MAX_BYTES", str(10 * 1024 * 1024))
)

# Scenarios a design may have at once (orgdesign/scenarios/services.py): each is a whole copy of it.
ORGDESIGN_SCENARIOS_MAX = int(os.environ.get("ORGDESIGN_SCENARIOS_MAX", "50"))

# Jobs survive their worker (orgdesign/jobs/runner.py): a worker writes the heartbeat of the job it
# runs every ORGDESIGN_JOB_HEARTBEAT seconds; a running job without one for ORGDESIGN_JOB_STALE
# seconds lost its worker and is queued again, until ORGDESIGN_JOB_ATTEMPTS runs, then failed.
ORGDESIGN_JOB_HEARTBEAT = float(os.environ.get("ORGDESIGN_JOB_HEARTBEAT", "5"))
ORGDESIGN_JOB_STALE = float(os.environ.get("ORGDESIGN_JOB_STALE", "30"))
ORGDESIGN_JOB_ATTEMPTS = int(os.environ.get("ORGDESIGN_JOB_ATTEMPTS", "3"))

# Directory connectors (teams/directory/). Their secrets are encrypted with this key (one or
# more passphrases, comma-separated, the first encrypting): without it no connector is saved.
ORGDESIGN_SECRETS_KEY = os.environ.get("ORGDESIGN_SECRETS_KEY", "")
# Plain http:// directory URLs, for local fakes only.
ORGDESIGN_DIRECTORY_ALLOW_HTTP = env_bool("ORGDESIGN_DIRECTORY_ALLOW_HTTP", default=DEBUG)
# The longest wait a throttled pull honours (Retry-After); a longer one fails the run.
ORGDESIGN_DIRECTORY_MAX_WAIT = float(os.environ.get("ORGDESIGN_DIRECTORY_MAX_WAIT", "300"))
# Seconds before a directory that does not answer fails the run.
ORGDESIGN_DIRECTORY_TIMEOUT = float(os.environ.get("ORGDESIGN_DIRECTORY_TIMEOUT", "60"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # django-axes logs every attempt at INFO; lockouts come at WARNING.
    "loggers": {"axes": {"level": "WARNING"}},
}

# A people/sync call carries a whole company: 50,000 people are about 10 MB of JSON, over
# Django's 2.5 MB default for request bodies read into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(
    os.environ.get("ORGDESIGN_MAX_REQUEST_BYTES", str(64 * 1024 * 1024))
)

# Background jobs (orgdesign/jobs/runner.py): queued in the database, run by `manage.py db_worker`,
# which `make run` and docker-compose start beside the web server.
# History (django-simple-history): a change's reason names scenarios, past 100 characters.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
