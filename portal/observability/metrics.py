"""The portal's Prometheus series, and how a process shows them.

Two kinds of series:

- **counted where it happens**, by the process that does it (mostly Celery workers): Management API calls
  and 429s per endpoint group, calls the shared budget held back, operations finished. These are
  prometheus_client counters.
- **read from the database at scrape time** (:mod:`portal.observability.collector`): operations by kind and
  state, the age of the oldest pending one, the budget's tokens left, the directory's freshness, webhook
  deliveries failed, bulk rows per minute. Only the web process's ``/metrics`` shows these, so a worker pod
  never repeats them.

Many processes: set ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory of the pod's own, before any process
starts) and prometheus_client's multiprocess mode adds up the counters of every process of the pod (gunicorn's
workers, Celery's pool processes) at each scrape; a process that exits is marked dead (gunicorn's
``child_exit``, Celery's ``worker_process_shutdown``). Without it (the embedded mode) each process shows its
own. A worker pod shows its processes' series on ``WORKER_METRICS_PORT`` (:func:`worker_metrics_serve`).

Every scrape must present ``METRICS_TOKEN`` as a bearer token, compared in constant time: without the token
or with a wrong one, 401; with no ``METRICS_TOKEN`` configured, the endpoints are off (404), never public.
"""

from __future__ import annotations

import hmac
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import REGISTRY, CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

log = logging.getLogger(__name__)

# -- series counted where it happens ------------------------------------------------------------------------
AUTH0_CALLS = Counter(
    "portal_auth0_management_calls", "Management API calls made, by endpoint group and HTTP status code",
    ["group", "code"],
)
AUTH0_RATE_LIMITED = Counter(
    "portal_auth0_management_rate_limited", "Management API calls Auth0 answered with 429, by endpoint group",
    ["group"],
)
AUTH0_BUDGET_HELD = Counter(
    "portal_auth0_budget_held", "Management API calls not made because the shared budget had no token left "
    "(their operations wait for one), by endpoint group", ["group"],
)
OPERATIONS_FINISHED = Counter(
    "portal_operations_finished", "Operations that ended, by kind and outcome (succeeded or failed)",
    ["kind", "outcome"],
)


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def multiprocess_dir_reset() -> None:
    """Empty the multiprocess directory: called once by the first process of a pod (gunicorn's master, the
    Celery worker's main process) before it starts the others, so a restarted container does not add the
    counters of its previous life to this one's."""
    folder = multiprocess_dir()
    if not folder:
        return
    path = Path(folder)
    if path.exists():
        for child in path.iterdir():
            if child.is_file():
                child.unlink()
            else:
                shutil.rmtree(child, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)


def process_dead(pid: int) -> None:
    """A process of the pod exited: its live gauges go (its counters stay counted)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)


class _ProcessSeries:
    """This process's own series (single-process mode), as a collector of another registry."""

    def collect(self) -> Iterable:
        return REGISTRY.collect()


def registry_build(*extra: object) -> CollectorRegistry:
    """The series a scrape shows: the pod's processes' (multiprocess mode) or this process's, plus ``extra``
    collectors (the database's, for the web process)."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessSeries())
    for collector in extra:
        registry.register(collector)
    return registry


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(registry), CONTENT_TYPE_PLAIN_0_0_4


def token_check(configured: str, authorization: str) -> int:
    """200 when ``authorization`` ("Bearer <token>") carries the configured token; 404 when no token is
    configured (the endpoint is off); 401 otherwise. Compared in constant time."""
    if not configured:
        return 404
    scheme, _, presented = authorization.partition(" ")
    if scheme.lower() != "bearer" or not presented:
        return 401
    if not hmac.compare_digest(presented.strip().encode(), configured.encode()):
        return 401
    return 200


# -- a worker pod's metrics port -------------------------------------------------------------------------------
def metrics_wsgi_app(token: str, registry_factory: Callable[[], CollectorRegistry]):
    """A WSGI application answering any path with the series, behind the same bearer token as /metrics, and
    ``/healthz/live`` for the worker pod's liveness probe."""

    def app(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz/live":
            # The worker pod's liveness probe: the main process answers (no data, no token).
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        status = token_check(token, environ.get("HTTP_AUTHORIZATION", ""))
        if status != 200:
            reason = {401: "401 Unauthorized", 404: "404 Not Found"}[status]
            headers = [("Content-Type", "text/plain")]
            if status == 401:
                headers.append(("WWW-Authenticate", 'Bearer realm="metrics"'))
            start_response(reason, headers)
            return [reason.encode()]
        body, content_type = exposition(registry_factory())
        start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


def worker_metrics_serve(*, port: int, token: str, host: str = "0.0.0.0") -> WSGIServer:  # noqa: S104
    """Serve the pod's series on ``port`` from a thread of the Celery worker's main process (its pool
    processes write theirs to the multiprocess directory, which this reads at each scrape)."""
    server = make_server(host, port, metrics_wsgi_app(token, registry_build), handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("worker metrics on port %s", server.server_port)
    return server
