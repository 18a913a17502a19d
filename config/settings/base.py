"""Settings shared by every profile. Each value comes from the environment with a safe default.

Profiles: ``config.settings.embedded`` (the default: no servers needed), ``config.settings.test``,
``config.settings.production`` (refuses to start without its required settings).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import xstatic.pkg.bootstrap
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from portal.observability.logs import logging_config
from portal.ratelimit import limits_parse
from portal.runtime.env import env

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
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_ratelimit",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "portal",
    "organizations",
    "users",
    "app_roles",
    "domains",
    "sso",
    "onboarding",
    "api",
    "scim",
    "config",
]

MIDDLEWARE = [
    # The probes and /metrics, before the host check and the HTTPS redirect (the module says why).
    "portal.observability.middleware.InternalEndpointsMiddleware",
    # django-prometheus: requests, responses and latencies by view (these two enclose every other middleware).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # The request id and organization every log line of the request (and the tasks it sends) carries.
    "portal.observability.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The person's language, else their organization's, else the browser's (portal.web.language).
    "portal.web.language.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "portal.web.context_processors.portal",
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
        # PostgreSQL's default random_page_cost (4) describes spinning disks; on SSDs it makes the planner
        # scan whole tables instead of using the directory's trigram and keyset indexes. And the portal's
        # queries are short: a parallel worker costs more to start than it saves. Empty: the server's.
        session = {
            "random_page_cost": env("DATABASE_RANDOM_PAGE_COST", default="1.1"),
            "max_parallel_workers_per_gather": env("DATABASE_PARALLEL_WORKERS", default="0"),
        }
        options = " ".join(f"-c {name}={float(value):g}" for name, value in session.items() if value)
        if options and config["ENGINE"] == "django.db.backends.postgresql":
            config.setdefault("OPTIONS", {})["options"] = options
    # django-prometheus's wrappers of the same backends count queries, errors and their latency for /metrics.
    instrumented = {"django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
                    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3"}
    config["ENGINE"] = instrumented.get(config["ENGINE"], config["ENGINE"])
    return config


def database_is_sqlite(config: dict) -> bool:
    return config["ENGINE"].endswith(".sqlite3")


DATABASES = {"default": _database(env("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
AUTH_PASSWORD_VALIDATORS: list[dict] = []  # no local passwords: everyone signs in through Auth0
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
LOGIN_URL = "signin"
LOGIN_REDIRECT_URL = "landing"

LANGUAGE_CODE = "en"
# The languages the portal's pages and emails are written in (issue 23): catalogs in locale/, built with
# ``manage.py messages_make`` and compiled (``compilemessages``, Debian's gettext) where the portal runs.
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates as day, month, year (config/formats/en); the other languages' are Django's own.
FORMAT_MODULE_PATH = ["config.formats"]
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

# The base layer's principal reads portal roles through this function of the organizations package.
PORTAL_PRINCIPAL_LOADER = "organizations.selectors.principal_for_user_id"
# The default language of a person's organization, for pages and emails (portal.web.language).
PORTAL_ORGANIZATION_LANGUAGE_LOADER = "users.language.person_organization_language"
# An organization's default language by its slug, for people not signed in on its public pages.
PORTAL_PUBLIC_PAGE_LANGUAGE_LOADER = "organizations.selectors.organization_language_by_slug"
# Machine actors registered by packages above organizations, by the prefix of their subject: the function that
# makes the principal of a subject (tasks re-check an actor's rights through it). SCIM providers' tokens (scim/).
PORTAL_MACHINE_PRINCIPALS = {"scim:": "scim.tokens.scim_principal_for_subject"}
# Parts of /healthz's report that packages above the base add (each returns a dict).
PORTAL_HEALTH_REPORTS = ["users.directory.sync.sync_health"]
# Series of /metrics that packages above the base read from the database at scrape time (each returns metric
# families; portal.observability.collector adds the base's own: operations and the budget).
PORTAL_METRICS_SOURCES = [
    "users.directory.sync.directory_metrics",
    "organizations.webhooks.services.webhook_metrics",
    "onboarding.processing.progress.bulk_metrics",
]
# Role grants by email look the person up in the directory first (users above organizations).
PORTAL_MEMBER_LOOKUP = "users.directory.selectors.organization_member_lookup"
# The guardrails ask the directory which organizations a person belongs to (organizations.access.guardrails).
PORTAL_PERSON_ORGANIZATIONS = "users.directory.selectors.person_organization_ids"
# ...and which of some people are blocked in Auth0 (a blocked admin keeps no organization administered).
PORTAL_PEOPLE_BLOCKED = "users.directory.selectors.people_blocked"

# --- The directory (the local mirror of the tenant's users) --------------------------------------------
DIRECTORY_DELTA_MINUTES = env.int("DIRECTORY_DELTA_MINUTES", default=5)
DIRECTORY_FULL_SYNC_HOURS = env.int("DIRECTORY_FULL_SYNC_HOURS", default=24)
# Each delta window starts this long before the last one ended: Auth0's search lags behind writes.
DIRECTORY_DELTA_OVERLAP_SECONDS = env.int("DIRECTORY_DELTA_OVERLAP_SECONDS", default=120)
# The secret Auth0's event or log stream presents ("Authorization: Bearer <token>") to /hooks/auth0;
# empty: the receiver is off.
DIRECTORY_STREAM_TOKEN = env("DIRECTORY_STREAM_TOKEN", default="")
# The receiver's public URL, for registering it with the tenant (manage.py directory_streams_register).
DIRECTORY_STREAM_URL = env("DIRECTORY_STREAM_URL", default="")

# --- Email ------------------------------------------------------------------------------------------------
# Invitations and password emails are sent by the portal. EMAIL_URL (django-environ: smtp://user:pass@host:587,
# smtp+tls://… for STARTTLS) in production; the embedded mode keeps them in the local outbox.
if env("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "portal.outbox.backend.OutboxBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Delegated Admin <no-reply@portal.localhost>")
# The portal's public address, for the links its emails carry.
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

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
# The REST API's tokens: issued by the tenant (default "<AUTH0_BASE_URL>/"), signed by the keys of its JWKS
# (default "<AUTH0_BASE_URL>/.well-known/jwks.json"), which is read again for an unknown key id at most once
# per PORTAL_API_JWKS_REFRESH_SECONDS, and anyway after PORTAL_API_JWKS_MAX_AGE_SECONDS.
PORTAL_API_ISSUER = env("PORTAL_API_ISSUER", default="")
PORTAL_API_JWKS_URL = env("PORTAL_API_JWKS_URL", default="")
PORTAL_API_JWKS_REFRESH_SECONDS = env.float("PORTAL_API_JWKS_REFRESH_SECONDS", default=60.0)
PORTAL_API_JWKS_MAX_AGE_SECONDS = env.float("PORTAL_API_JWKS_MAX_AGE_SECONDS", default=86400.0)
PORTAL_API_LEEWAY_SECONDS = env.int("PORTAL_API_LEEWAY_SECONDS", default=30)
# Requests each API caller may make, in the shared cache (DRF's rate syntax: 600/min, 20/s, …).
PORTAL_API_RATE = env("PORTAL_API_RATE", default="600/min")
# Requests each SCIM provider's token may make per minute (scim/; over it, a SCIM 429 with Retry-After).
SCIM_RATE_PER_MINUTE = env.int("SCIM_RATE_PER_MINUTE", default=600)
# How long the API's events feed (/api/v1/events/) keeps an event, and so how long a tool may be down and
# still catch up; webhook deliveries go with their events.
PORTAL_API_EVENTS_KEEP_DAYS = env.int("PORTAL_API_EVENTS_KEEP_DAYS", default=30)
# Webhooks go to the public internet only (portal.outbound). This lets them reach this machine too (loopback:
# a developer's local receiver; never private ranges): on in the embedded profile, refused in production.
PORTAL_WEBHOOK_ALLOW_LOOPBACK = env.bool("PORTAL_WEBHOOK_ALLOW_LOOPBACK", default=False)
OIDC_DRF_AUTH_BACKEND = "api.auth.authentication.LocalTokenBackend"
AUTH0_ORG_CLAIM = env("AUTH0_ORG_CLAIM", default="https://portal.local/org")
# The tenant's Management API rate limits per endpoint group, as group=burst/per-minute (Auth0 publishes
# them per plan; these are Essentials and Professional). "other" covers every endpoint not named.
AUTH0_RATE_LIMITS = env(
    "AUTH0_RATE_LIMITS",
    default="read_users=40/500, write_users=20/200, read_logs=10/100, org_members_read=40/500, "
            "org_members_write=20/200, other=10/150",
)
try:
    limits_parse(AUTH0_RATE_LIMITS)
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
# Where every worker's shared budget lives: a redis:// URL, or "database". Default: the Redis broker or
# cache if there is one, else the database (the embedded mode).
AUTH0_RATE_LIMIT_STORE = env("AUTH0_RATE_LIMIT_STORE", default="")
# How far ahead an operation waiting for the budget books its next token (portal.ratelimit): its retry comes
# back once, when the token is due. Operations beyond it come back after about this long and try again.
AUTH0_RATE_RESERVE_SECONDS = env.float("AUTH0_RATE_RESERVE_SECONDS", default=60.0)
# Each group's burst less this much refill is what the portal spends: calls reach Auth0 a little after they took
# their token, and this much disorder in their arrival never exceeds the tenant's burst (portal.ratelimit).
AUTH0_RATE_MARGIN_SECONDS = env.float("AUTH0_RATE_MARGIN_SECONDS", default=0.5)
# The database connection shared by organizations in "shared connection" mode (and Auth0 Organizations).
AUTH0_SHARED_CONNECTION = env("AUTH0_SHARED_CONNECTION", default="Username-Password-Authentication")
# The tenant's name, in the SAML entity id Auth0 gives an enterprise connection (urn:auth0:<tenant>:<connection>):
# the first label of the tenant's domain (the emulator, on an address, calls itself "emulator").
_ON_AN_ADDRESS = AUTH0_DOMAIN[:1].isdigit() or AUTH0_DOMAIN.startswith("localhost")
AUTH0_TENANT_NAME = env("AUTH0_TENANT_NAME", default="emulator" if _ON_AN_ADDRESS else AUTH0_DOMAIN.split(".")[0])

# --- Verified domains (domains/): where their DNS TXT records are read, how often, and the grace period ----
# Comma-separated nameserver addresses; empty: the machine's resolver configuration (/etc/resolv.conf).
DOMAINS_DNS_NAMESERVERS = env.list("DOMAINS_DNS_NAMESERVERS", default=[])
DOMAINS_DNS_PORT = env.int("DOMAINS_DNS_PORT", default=53)
DOMAINS_DNS_TIMEOUT = env.float("DOMAINS_DNS_TIMEOUT", default=5.0)
# A verified domain's record is read again after this many hours; one missing for the grace period is unverified.
DOMAINS_RECHECK_HOURS = env.int("DOMAINS_RECHECK_HOURS", default=24)
DOMAINS_GRACE_HOURS = env.int("DOMAINS_GRACE_HOURS", default=72)

# --- Sign-in: django-allauth's openid_connect provider against the tenant ------------------------------
# The OpenID provider browsers sign in with: the Auth0 tenant, or its custom domain.
OIDC_SERVER_URL = env("OIDC_SERVER_URL", default=AUTH0_BASE_URL).rstrip("/")
# How the portal authenticates to the token endpoint: "" follows the discovery document
# (token_endpoint_auth_methods_supported), else client_secret_basic or client_secret_post.
OIDC_TOKEN_AUTH_METHOD = env("OIDC_TOKEN_AUTH_METHOD", default="")
if OIDC_TOKEN_AUTH_METHOD not in ("", "client_secret_basic", "client_secret_post"):
    raise ImproperlyConfigured(
        f"OIDC_TOKEN_AUTH_METHOD must be client_secret_basic or client_secret_post (or empty to follow the "
        f"provider's discovery document), not {OIDC_TOKEN_AUTH_METHOD!r}."
    )
# Session-only accounts: no local passwords, no local signup, no linking of accounts by email (two
# connections may hold the same email for different people).
SOCIALACCOUNT_ONLY = True
# allauth's "username" is the Auth0 user id (sub), which it never generates or edits here.
ACCOUNT_USER_MODEL_USERNAME_FIELD = "auth0_user_id"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = False
# "Signed in as …" names the person (name or email), never the raw Auth0 user id.
ACCOUNT_USER_DISPLAY = "portal.models.user_display"
ACCOUNT_ADAPTER = "signin.adapters.PortalAccountAdapter"
SOCIALACCOUNT_ADAPTER = "signin.adapters.PortalSocialAccountAdapter"
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
                    "server_url": OIDC_SERVER_URL,
                    **({"token_auth_method": OIDC_TOKEN_AUTH_METHOD} if OIDC_TOKEN_AUTH_METHOD else {}),
                    "oauth_pkce_enabled": True,
                    # signin.oidc reads userinfo itself, and only when the ID token lacks the profile claims.
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
# Celery's consumer, surviving a restart of a Redis broker (portal/runtime/worker.py says why).
CELERY_WORKER_CONSUMER = "portal.runtime.worker:Consumer"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
# Every Management API call runs on its own queue, so a backlog of Auth0 work (rate limited) never
# delays housekeeping, and workers for it can be scaled on their own.
MANAGEMENT_QUEUE = "auth0-management"
CELERY_TASK_ROUTES = {
    "users.tasks.*": {"queue": MANAGEMENT_QUEUE},
    "organizations.tasks.*": {"queue": MANAGEMENT_QUEUE},
    "app_roles.tasks.*": {"queue": MANAGEMENT_QUEUE},
    "scim.tasks.*": {"queue": MANAGEMENT_QUEUE},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# How the operation runner (portal.operations) notices lost work. A run that has held its operation longer
# than OPERATIONS_STALE_CLAIM_SECONDS died (the hard time limit would have ended a live one), so another run
# may claim it; an operation still pending OPERATIONS_SWEEP_GRACE_SECONDS after it was due lost its message,
# and the sweeper sends it again. Passing failures are retried with jittered backoff of at most
# OPERATIONS_BACKOFF_MAX_SECONDS. Production keeps the defaults; the reliability tests shorten them.
OPERATIONS_STALE_CLAIM_SECONDS = env.int("OPERATIONS_STALE_CLAIM_SECONDS",
                                         default=max(300, 2 * CELERY_TASK_TIME_LIMIT))
if OPERATIONS_STALE_CLAIM_SECONDS <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"OPERATIONS_STALE_CLAIM_SECONDS ({OPERATIONS_STALE_CLAIM_SECONDS}) must exceed CELERY_TASK_TIME_LIMIT "
        f"({CELERY_TASK_TIME_LIMIT}): a run still within its time limit would lose its operation to another."
    )
OPERATIONS_SWEEP_GRACE_SECONDS = env.int("OPERATIONS_SWEEP_GRACE_SECONDS", default=600)
OPERATIONS_BACKOFF_MAX_SECONDS = env.int("OPERATIONS_BACKOFF_MAX_SECONDS", default=300)
HEARTBEAT_SECONDS = env.float("PORTAL_HEARTBEAT_SECONDS", default=30.0)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "portal.tasks.heartbeat_record", "schedule": HEARTBEAT_SECONDS, "args": ("beat",)},
    "operations-sweep": {"task": "portal.tasks.operations_sweep", "schedule": 60.0},
    "directory-schedule": {"task": "users.tasks.directory_sync_schedule", "schedule": 60.0},
    "api-events-prune": {"task": "organizations.tasks.api_events_prune", "schedule": 86400.0},
    "bulk-jobs-sweep": {"task": "onboarding.tasks.bulk_jobs_sweep", "schedule": 60.0},
    # Verified domains due a re-check of their DNS record (domains.services.domains_recheck).
    "domains-recheck": {"task": "domains.tasks.domains_recheck", "schedule": 3600.0},
}
# Bulk onboarding (onboarding/): the largest file a page or the API takes, its most rows, and how many of a
# job's rows may be under way at once (enough to keep the tenant's rate limit busy; pausing stops the rest).
BULK_UPLOAD_MAX_BYTES = env.int("BULK_UPLOAD_MAX_BYTES", default=20_000_000)
BULK_MAX_ROWS = env.int("BULK_MAX_ROWS", default=100_000)
BULK_IN_FLIGHT = env.int("BULK_IN_FLIGHT", default=60)
# A check that has not moved for this long lost its message or its worker: the bulk sweeper sends it again.
BULK_CHECK_STALE_SECONDS = env.int("BULK_CHECK_STALE_SECONDS", default=120)

# --- Cache (the sign-in rate limit); shared by every process ---------------------------------------------
# CACHE_URL if given; else the Redis broker; else (embedded mode, one machine) a table in the database.
if env("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CELERY_BROKER_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "portal_cache"}}
if not AUTH0_RATE_LIMIT_STORE:
    _cache_location = CACHES["default"].get("LOCATION", "")
    AUTH0_RATE_LIMIT_STORE = next(
        (url for url in (CELERY_BROKER_URL, _cache_location) if isinstance(url, str) and url.startswith("redis")),
        "database",
    )
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
_oidc_origin = "{0.scheme}://{0.netloc}".format(urlsplit(OIDC_SERVER_URL))
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
        # Chrome applies form-action to the redirect after a POST: logout goes on to the provider.
        "form-action": [SELF, _oidc_origin],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.PortalAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.authentication.PortalTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.permissions.CallerHoldsPermission"],
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.throttling.ApiCallerThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    # No ?format=: the Accept header chooses (a report's text/csv), and every query parameter is the schema's.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Delegated administration portal API",
    "DESCRIPTION": "The portal's REST API for internal tools, scoped to the organizations and permissions each "
                   "registered client is given. Authenticate with an access token for the portal's API "
                   "(audience PORTAL_API_AUDIENCE) from the Auth0 tenant. Every route answers the methods "
                   "described here (and HEAD where there is GET); any other method, OPTIONS and TRACE included, "
                   "is a 405 with the Allow header and the JSON error body, whoever asks (there is no CORS: "
                   "the API is for tools). A query parameter given a value it does not describe, or given twice, "
                   "is a 400 naming it; query parameters it does not describe are ignored; a body field it does "
                   "not describe is a 400.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page's script and styles come from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SECURITY": [{"portalToken": []}],
    "APPEND_COMPONENTS": {"securitySchemes": {"portalToken": {"type": "http", "scheme": "bearer",
                                                                "bearerFormat": "JWT"}}},
}

# --- Running it for real (docs/runbook.md) ------------------------------------------------------------------
# The bearer token Prometheus presents to /metrics (and to a worker's metrics port); empty: both are off (404).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# A Celery worker's metrics port (0: none), served by its main process for every process of its pod.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
# OpenTelemetry tracing (portal.observability.tracing): off unless OTEL_ENABLED; spans go to OTLP over HTTP
# (OTEL_EXPORTER_OTLP_ENDPOINT and the standard OTEL_* variables) or, OTEL_EXPORTER=console, to the console.
OTEL_ENABLED = env.bool("OTEL_ENABLED", default=False)
OTEL_EXPORTER = env("OTEL_EXPORTER", default="otlp")
OTEL_SERVICE_NAME = env("OTEL_SERVICE_NAME", default="auth0-portal")
if OTEL_EXPORTER not in ("otlp", "console"):
    raise ImproperlyConfigured(f"OTEL_EXPORTER must be otlp or console, not {OTEL_EXPORTER!r}")

# plain: readable lines (the embedded mode and tests); json: one JSON object a line (production's default).
# Either way with the work's context (request, organization, operation, task) and without secrets
# (portal.observability.logs).
LOG_FORMAT = env("LOG_FORMAT", default="plain")
try:
    LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
