"""The gateway's side of the shared Management API budget (:mod:`portal.ratelimit`): which of Auth0's
published limit groups each call counts against, and the httpx hooks that take a token before a call
leaves and report Auth0's rate-limit headers when its answer comes back.

The emulator names its groups the same way (``auth0_emulator.management.ratelimit``), since both follow
Auth0's published groups; the two must not import each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.utils.translation import gettext, gettext_noop

from portal.observability.metrics import AUTH0_BUDGET_HELD, AUTH0_CALLS, AUTH0_RATE_LIMITED
from portal.ratelimit import RateLimiter, rate_limiter

from .errors import Auth0RateLimited

_MEMBERS = re.compile(r"^/organizations/[^/]+/members(/|$)")
_LOGS = re.compile(r"^/(logs(/|$)|users/[^/]+/logs$)")
_USERS = re.compile(r"^/(users|users-by-email)(/|$)")

# Auth0's names of its limit groups: in English in the gateway's errors (kept as operations' errors, logged),
# translated where a page shows them (:func:`budget_state`).
GROUP_LABELS = {
    "read_users": gettext_noop("Read Users"),
    "write_users": gettext_noop("Write Users"),
    "read_logs": gettext_noop("Read Logs"),
    "org_members_read": gettext_noop("Organization members (read)"),
    "org_members_write": gettext_noop("Organization members (write)"),
    "other": gettext_noop("All other endpoints"),
}


@dataclass(frozen=True)
class BudgetRow:
    """One group of the shared budget as a person reads it."""

    label: str
    burst: int
    per_minute: float
    available: int


def budget_state(limiter: RateLimiter | None = None) -> list[BudgetRow]:
    """The shared budget now, a row per group the limits name (default: the process's limiter)."""
    limiter = limiter or rate_limiter()
    return [BudgetRow(gettext(GROUP_LABELS[s.group]) if s.group in GROUP_LABELS else s.group, s.limit.burst,
                      s.limit.per_minute, s.available)
            for s in limiter.state()]


def endpoint_group(method: str, path: str) -> str:
    """The limit group of a Management API call; ``path`` is relative to ``/api/v2``."""
    read = method.upper() in ("GET", "HEAD")
    if _LOGS.match(path):
        return "read_logs" if read else "other"
    if _MEMBERS.match(path):
        return "org_members_read" if read else "org_members_write"
    if _USERS.match(path):
        return "read_users" if read else "write_users"
    return "other"


class _ManagementApiHooks:
    """httpx event hooks for the Management API under ``api_root`` (other URLs, such as an export's
    download, are not Management API calls)."""

    def __init__(self, api_root: str) -> None:
        root = urlsplit(api_root.rstrip("/"))
        self.api_host, self.api_path = root.netloc, root.path

    def _group(self, request: httpx.Request) -> str | None:
        path = request.url.path
        if request.url.netloc.decode() != self.api_host or not path.startswith(self.api_path + "/"):
            return None
        return endpoint_group(request.method, path[len(self.api_path):])


class CallMetricsHooks(_ManagementApiHooks):
    """Counts every Management API call's answer by endpoint group and status code, and the 429s apart
    (/metrics: portal_auth0_management_calls_total, portal_auth0_management_rate_limited_total)."""

    def response(self, response: httpx.Response) -> None:
        group = self._group(response.request)
        if group is None:
            return
        AUTH0_CALLS.labels(group, str(response.status_code)).inc()
        if response.status_code == 429:
            AUTH0_RATE_LIMITED.labels(group).inc()


class BudgetHooks(_ManagementApiHooks):
    """Spends the shared budget before each Management API call and corrects it from Auth0's answer (other
    URLs spend nothing)."""

    def __init__(self, limiter: RateLimiter, api_root: str) -> None:
        super().__init__(api_root)
        self.limiter = limiter

    def request(self, request: httpx.Request) -> None:
        group = self._group(request)
        if group is None:
            return
        taken = self.limiter.take(group)
        if not taken.ok:
            AUTH0_BUDGET_HELD.labels(group).inc()
            refused = Auth0RateLimited(
                f"Waiting for the portal's share of Auth0's {GROUP_LABELS.get(group, group)} rate limit",
                status=None, error_code="portal_rate_budget",
                # A booked token is due at that instant exactly: its retry comes back then, not a rounded second.
                retry_after=taken.wait if taken.reserved else max(1, round(taken.wait)),
            )
            refused.by_budget = True
            raise refused

    def response(self, response: httpx.Response) -> None:
        group = self._group(response.request)
        if group is None:
            return
        remaining = _header_number(response, "X-RateLimit-Remaining")
        reset_at = _header_number(response, "X-RateLimit-Reset")
        self.limiter.observe(group, remaining=None if remaining is None else int(remaining), reset_at=reset_at,
                             refused=response.status_code == 429)


def _header_number(response: httpx.Response, name: str) -> float | None:
    try:
        return float(response.headers[name])
    except (KeyError, ValueError):
        return None
