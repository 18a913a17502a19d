"""gunicorn settings for every mode (embedded, compose, production), read from the environment."""

import os

bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
# The longest request line gunicorn takes (its default is 4094): the API's query values, percent-encoded, need
# the room; a longer URL is a 414, which the API's schema documents (api.schema).
limit_request_line = 8190
accesslog = "-"
errorlog = "-"
# Trust X-Forwarded-* only from the proxy in front (compose/production set FORWARDED_ALLOW_IPS).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


# prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, portal.observability.metrics): the master empties
# the directory before it starts its workers, and a worker that exits is marked dead.
def on_starting(server) -> None:
    from portal.observability.metrics import multiprocess_dir_reset

    multiprocess_dir_reset()


def child_exit(server, worker) -> None:
    from portal.observability.metrics import process_dead

    process_dead(worker.pid)
