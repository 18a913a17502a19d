"""The test profile: like embedded, with settings that make tests fast and hermetic.

DATABASE_URL and CELERY_BROKER_URL choose PostgreSQL and Redis (CI does); the defaults are SQLite and
kombu's in-memory transport. Tasks are run with ``.apply()``, never in eager mode.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("AUTH0_CLIENT_SECRET", "portal-web-dev-secret")
os.environ.setdefault("AUTH0_MGMT_CLIENT_SECRET", "portal-m2m-dev-secret")

from config.settings.base import *  # noqa: E402,F403
from config.settings.base import _database, database_is_sqlite  # noqa: E402
from portal.runtime.env import env  # noqa: E402

DEBUG = False
SECRET_KEY = "test-only-not-secret"  # noqa: S105
DIRECTORY_STREAM_TOKEN = "test-stream-token"  # noqa: S105
# The tests' emulators run without rate limits; the limiter's own tests build limiters of their own.
AUTH0_RATE_LIMITS = "other=1000000/60000000"
VAR_DIR = Path(tempfile.mkdtemp(prefix="portal-test-"))
atexit.register(shutil.rmtree, VAR_DIR, ignore_errors=True)
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir()
WHITENOISE_USE_FINDERS = True  # serve from the source folders, as in development: no collectstatic
DATABASES = {"default": _database(env("DATABASE_URL", default="sqlite:///:memory:"))}
if database_is_sqlite(DATABASES["default"]):
    # The browser tests' live server reads the in-memory database through SQLite's shared cache, where a
    # reader's table lock makes a writer fail at once ("database table is locked") instead of waiting:
    # a page polling an operation while the test records its outcome failed that way. Readers that take
    # no table locks (read_uncommitted, which only shared-cache connections heed) leave writers be.
    DATABASES["default"]["OPTIONS"]["init_command"] += " PRAGMA read_uncommitted=1;"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
if not CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests run in one process, where a local-memory cache is shared by everything that counts.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
