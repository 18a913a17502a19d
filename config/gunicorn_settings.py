"""gunicorn settings for every mode (embedded, compose, production), read from the environment."""

import os

bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
accesslog = "-"
errorlog = "-"
# Trust X-Forwarded-* only from the proxy in front (compose/production set FORWARDED_ALLOW_IPS).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
