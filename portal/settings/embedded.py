"""The default profile: one machine, no servers (SQLite, filesystem broker), the local emulator.

Setting DATABASE_URL and CELERY_BROKER_URL switches it to PostgreSQL and Redis (compose mode).
"""

from portal.env import env
from portal.settings.base import *  # noqa: F403
from portal.settings.base import VAR_DIR

DEBUG = env.bool("DEBUG", default=True)
# Only for this local profile: a key kept beside the SQLite file, made on first start.
if not SECRET_KEY:  # noqa: F405
    from portal.secret_key import secret_key_load_or_create

    SECRET_KEY = secret_key_load_or_create(VAR_DIR / "secret_key")
AUTH0_CLIENT_SECRET = AUTH0_CLIENT_SECRET or "portal-web-dev-secret"  # noqa: F405,S105 - emulator credential
AUTH0_MGMT_CLIENT_SECRET = AUTH0_MGMT_CLIENT_SECRET or "portal-m2m-dev-secret"  # noqa: F405,S105
