"""The production profile: PostgreSQL, Redis (or RabbitMQ), a real Auth0 tenant, HTTPS.

It refuses to start unless every required setting is given (directly or as ``<NAME>_FILE``), and
with them it passes ``manage.py check --deploy --fail-level WARNING``.
"""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import _database, database_is_sqlite
from portal.observability.logs import logging_config
from portal.runtime.env import env

REQUIRED = [
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "AUTH0_DOMAIN",
    "AUTH0_CLIENT_ID",
    "AUTH0_CLIENT_SECRET",
    "AUTH0_MGMT_CLIENT_ID",
    "AUTH0_MGMT_CLIENT_SECRET",
    "EMAIL_URL",
    "PORTAL_BASE_URL",
]
_missing = [name for name in REQUIRED if not env(name, default="")]
if _missing:
    raise ImproperlyConfigured(
        "Production settings are missing: " + ", ".join(_missing)
        + ". Set each as an environment variable, or put it in a file named by <NAME>_FILE."
    )
if len(env("SECRET_KEY")) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters of random data.")
# Webhook URLs are typed in by company admins: reaching this machine's services is for development only.
if PORTAL_WEBHOOK_ALLOW_LOOPBACK:  # noqa: F405
    raise ImproperlyConfigured("PORTAL_WEBHOOK_ALLOW_LOOPBACK must be off in production: webhooks would reach "
                               "this machine's own services.")

DEBUG = False
LOG_FORMAT = env("LOG_FORMAT", default="json")
try:
    LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)  # noqa: F405
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
DATABASES = {"default": _database(env("DATABASE_URL"))}
if database_is_sqlite(DATABASES["default"]):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production, not SQLite.")
if env("CELERY_BROKER_URL").startswith(("filesystem://", "memory://")):
    raise ImproperlyConfigured("CELERY_BROKER_URL must be Redis or RabbitMQ in production.")

# The sign-in rate limit must be shared, and counted atomically, by every web process: Redis.
if CACHES["default"]["BACKEND"] != "django.core.cache.backends.redis.RedisCache":  # noqa: F405
    raise ImproperlyConfigured("Set CACHE_URL to Redis (e.g. redis://host:6379/1): the broker is not Redis.")
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Behind a TLS-terminating proxy, name the header it sets, e.g. "HTTP_X_FORWARDED_PROTO,https".
_proxy_header = env.tuple("SECURE_PROXY_SSL_HEADER", default=())
SECURE_PROXY_SSL_HEADER = _proxy_header or None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
