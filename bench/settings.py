"""Settings of the portal processes a benchmark starts: the embedded profile, DEBUG off, and the bench's
URLs (the portal's own plus the baseline page the ratios are measured against)."""

from config.settings.embedded import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# The bench's emulator runs without rate limits (it measures the portal, not the budget).
AUTH0_RATE_LIMITS = "other=1000000/60000000"
