"""Settings shared by every profile. Each value comes from the environment with a safe default.

Profiles: ``portal.settings.embedded`` (the default: no servers needed), ``portal.settings.test``,
``portal.settings.production`` (refuses to start without its required settings).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import xstatic.pkg.bootstrap
from csp.constants import NONE, SELF

from portal.env import env

BASE_DIR = Path(__file__).resolve().parents[2]
# Runtime state of the embedded mode: SQLite file, broker folders, beat schedule, collected static.
VAR_DIR = Path(env("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_ratelimit",
    "rest_framework",
    "drf_spectacular",
    "portal",
    "organizations",
    "users",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "portal.context_processors.portal",
            ],
        },
    },
]


def _database(url: str) -> dict:
    config = env.db_url_config(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Web, worker and beat share the file: WAL lets readers work beside one writer, IMMEDIATE
        # transactions take the write lock up front instead of failing half-way with "locked".
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    else:
        config["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database(env("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
AUTH_PASSWORD_VALIDATORS: list[dict] = []  # no local passwords: everyone signs in through Auth0
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
LOGIN_URL = "signin"
LOGIN_REDIRECT_URL = "landing"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Bootstrap comes from PyPI (XStatic-Bootstrap), pinned in uv.lock: no CDN, nothing hand-copied.
    ("vendor/bootstrap", xstatic.pkg.bootstrap.BASE_DIR),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Auth0 ------------------------------------------------------------------------------------------
# The same code reaches the local emulator or a real tenant; only these values differ.
AUTH0_DOMAIN = env("AUTH0_DOMAIN", default="127.0.0.1:8900")
# Scheme and host of the tenant; "https://<AUTH0_DOMAIN>" for a real tenant.
AUTH0_BASE_URL = env("AUTH0_BASE_URL", default=f"http://{AUTH0_DOMAIN}").rstrip("/")
AUTH0_CLIENT_ID = env("AUTH0_CLIENT_ID", default="portal-web-dev")
AUTH0_CLIENT_SECRET = env("AUTH0_CLIENT_SECRET", default="")
AUTH0_MGMT_CLIENT_ID = env("AUTH0_MGMT_CLIENT_ID", default="portal-m2m-dev")
AUTH0_MGMT_CLIENT_SECRET = env("AUTH0_MGMT_CLIENT_SECRET", default="")
AUTH0_MGMT_AUDIENCE = env("AUTH0_MGMT_AUDIENCE", default=f"{AUTH0_BASE_URL}/api/v2/")
AUTH0_MGMT_TIMEOUT = env.float("AUTH0_MGMT_TIMEOUT", default=15.0)
PORTAL_API_AUDIENCE = env("PORTAL_API_AUDIENCE", default="https://portal.local/api/")
AUTH0_ORG_CLAIM = env("AUTH0_ORG_CLAIM", default="https://portal.local/org")
# The database connection shared by organizations in "shared connection" mode (and Auth0 Organizations).
AUTH0_SHARED_CONNECTION = env("AUTH0_SHARED_CONNECTION", default="Username-Password-Authentication")

# --- Sign-in: django-allauth's openid_connect provider against the tenant ------------------------------
# Session-only accounts: no local passwords, no local signup, no linking of accounts by email (two
# connections may hold the same email for different people).
SOCIALACCOUNT_ONLY = True
# allauth's "username" is the Auth0 user id (sub), which it never generates or edits here.
ACCOUNT_USER_MODEL_USERNAME_FIELD = "auth0_user_id"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = False
ACCOUNT_ADAPTER = "portal.signin.adapters.PortalAccountAdapter"
SOCIALACCOUNT_ADAPTER = "portal.signin.adapters.PortalSocialAccountAdapter"
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "auth0",
                "name": "Auth0",
                "client_id": AUTH0_CLIENT_ID,
                "secret": AUTH0_CLIENT_SECRET,
                "settings": {
                    "server_url": AUTH0_BASE_URL,
                    "token_auth_method": "client_secret_post",
                    "oauth_pkce_enabled": True,
                    # The ID token carries everything we need (and the org claim); no userinfo call.
                    "fetch_userinfo": False,
                    "scope": ["openid", "profile", "email"],
                },
            }
        ],
    }
}
# Where Auth0 sends the browser after RP-initiated logout; must be an allowed logout URL of the client.
PORTAL_LOGOUT_RETURN_PATH = "/"


# --- Celery ------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: a real broker with no server, for the embedded mode.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    # kombu does not create these itself; every process (web, worker, beat) needs them to exist.
    for _folder in ("queue", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
else:
    # Redis redelivers an unacknowledged (acks_late) message after visibility_timeout. It must exceed
    # the hard time limit and the longest countdown a task is ever given (MAX_COUNTDOWN_SECONDS),
    # or a task still waiting in a worker would be delivered a second time.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 7200}
CELERY_MAX_COUNTDOWN_SECONDS = 3600
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=2)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
# Every Management API call runs on its own queue, so a backlog of Auth0 work (rate limited) never
# delays housekeeping, and workers for it can be scaled on their own.
MANAGEMENT_QUEUE = "auth0-management"
CELERY_TASK_ROUTES = {
    "users.tasks.*": {"queue": MANAGEMENT_QUEUE},
    "organizations.tasks.*": {"queue": MANAGEMENT_QUEUE},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
HEARTBEAT_SECONDS = env.float("PORTAL_HEARTBEAT_SECONDS", default=30.0)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "portal.tasks.heartbeat_record", "schedule": HEARTBEAT_SECONDS, "args": ("beat",)},
    "operations-sweep": {"task": "portal.tasks.operations_sweep", "schedule": 60.0},
}

# --- Cache (the sign-in rate limit); shared by every process ---------------------------------------------
# CACHE_URL if given; else the Redis broker; else (embedded mode, one machine) a table in the database.
if env("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CELERY_BROKER_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "portal_cache"}}
RATELIMIT_USE_CACHE = "default"
SIGNIN_DISCOVERY_RATE = env("SIGNIN_DISCOVERY_RATE", default="20/m")
# django-ratelimit 4.1 predates Django's own RedisCache (whose add/incr are atomic) and calls the
# database cache non-atomic: near the limit two racing requests may both pass, which is fine for a
# per-address throttle. Production insists on Redis (settings/production.py).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001", "django_ratelimit.E003"]

# --- Security headers -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# Lax, not Strict: the OIDC callback is a cross-site top-level navigation that must carry the session.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
_auth0_origin = "{0.scheme}://{0.netloc}".format(urlsplit(AUTH0_BASE_URL))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        # Chrome applies form-action to the redirect after a POST: logout goes on to Auth0.
        "form-action": [SELF, _auth0_origin],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {"TITLE": "Delegated administration portal API", "VERSION": "1"}

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
