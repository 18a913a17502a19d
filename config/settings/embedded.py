"""The default profile: one machine, no servers (SQLite, filesystem broker), the local emulator.

Setting DATABASE_URL and CELERY_BROKER_URL switches it to PostgreSQL and Redis (compose mode).
"""

import os

# The emulator's development credentials (public, README) unless the environment names a real tenant's.
os.environ.setdefault("AUTH0_CLIENT_SECRET", "portal-web-dev-secret")
os.environ.setdefault("AUTH0_MGMT_CLIENT_SECRET", "portal-m2m-dev-secret")

from config.settings.base import *  # noqa: E402,F403
from config.settings.base import VAR_DIR  # noqa: E402
from portal.runtime.env import env  # noqa: E402

DEBUG = env.bool("DEBUG", default=True)
# Only for this local profile: a key kept beside the SQLite file, made on first start.
if not SECRET_KEY:  # noqa: F405
    from portal.runtime.secret_key import secret_key_load_or_create

    SECRET_KEY = secret_key_load_or_create(VAR_DIR / "secret_key")
# The demo registers the portal's receiver with the emulator's streams (prepare --demo) with this token.
if not DIRECTORY_STREAM_TOKEN:  # noqa: F405
    from portal.runtime.secret_key import secret_key_load_or_create

    DIRECTORY_STREAM_TOKEN = secret_key_load_or_create(VAR_DIR / "stream_token")
# Where the demo's streams deliver: this machine's web process.
_web = env("PORTAL_BIND", default="127.0.0.1:8000").replace("0.0.0.0", "127.0.0.1")  # noqa: S104
DIRECTORY_STREAM_URL = env("DIRECTORY_STREAM_URL", default=f"http://{_web}/hooks/auth0")
# Webhooks may reach a receiver on this machine (the demo's tools run here); production refuses this.
PORTAL_WEBHOOK_ALLOW_LOOPBACK = env.bool("PORTAL_WEBHOOK_ALLOW_LOOPBACK", default=True)
# The links in the portal's emails lead to this machine's web process.
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default=f"http://{_web}").rstrip("/")
