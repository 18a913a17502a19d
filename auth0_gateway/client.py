"""The Management API client: :class:`Auth0Gateway`, composed of the plumbing (:mod:`.core`) and the calls
grouped by Auth0 resource, and the process-wide instance (see the package docstring for its promises)."""

from __future__ import annotations

import os
import threading

from portal.ratelimit import rate_limiter

from .connections import ConnectionCalls
from .jobs import JobCalls
from .organizations import OrganizationCalls
from .roles import RoleCalls
from .streams import StreamCalls
from .users import UserCalls


class Auth0Gateway(UserCalls, OrganizationCalls, RoleCalls, ConnectionCalls, StreamCalls, JobCalls):
    """Typed access to the Auth0 Management API for the portal. Thread-safe; one per process.

    Each base adds the calls of one Auth0 resource on top of :class:`~auth0_gateway.core.GatewayCore`
    (construction, :meth:`from_settings`, the call and its error mapping)."""


# -- the process-wide instance ------------------------------------------------------------------
_instance: Auth0Gateway | None = None
_instance_pid: int | None = None
_instance_lock = threading.Lock()


def gateway() -> Auth0Gateway:
    """The process-wide gateway, built from settings on first use. A forked child (Celery prefork,
    gunicorn) builds its own, so no two processes share a connection pool."""
    global _instance, _instance_pid
    instance = _instance
    if instance is not None and _instance_pid == os.getpid():
        return instance
    with _instance_lock:
        if _instance is None or _instance_pid != os.getpid():
            _instance = Auth0Gateway.from_settings()
            _instance_pid = os.getpid()
        return _instance


def gateway_reset() -> None:
    """Forget the process-wide gateway (tests, or after settings change); the next
    :func:`gateway` call builds a new one with a new token."""
    global _instance, _instance_pid
    with _instance_lock:
        if _instance is not None and _instance_pid == os.getpid():
            _instance.close()
        _instance = None
        _instance_pid = None
        rate_limiter.cache_clear()  # its settings may have changed too
