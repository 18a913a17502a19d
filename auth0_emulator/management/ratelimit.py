"""Auth0's Management API rate limits: one token bucket per endpoint group, per tenant.

Every response carries ``X-RateLimit-Limit`` (the bucket size), ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (UTC epoch seconds at which the bucket is full again); an empty bucket answers
429 ``too_many_requests``.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

from ..config import RateLimit
from ..tenant import Tenant

_MEMBERS = re.compile(r"^/api/v2/organizations/[^/]+/members(/|$)")
_LOGS = re.compile(r"^/api/v2/(logs(/|$)|users/[^/]+/logs$)")
_USERS = re.compile(r"^/api/v2/(users|users-by-email)(/|$)")


def endpoint_group(method: str, path: str) -> str:
    """Which of Auth0's published limit groups a request counts against."""
    read = method in ("GET", "HEAD")
    if _LOGS.match(path):
        return "read_logs" if read else "other"
    if _MEMBERS.match(path):
        return "org_members_read" if read else "org_members_write"
    if _USERS.match(path):
        return "read_users" if read else "write_users"
    return "other"


@dataclass
class Bucket:
    limit: RateLimit
    tokens: float
    stamp: float

    def take(self, now: float) -> bool:
        rate = self.limit.per_minute / 60.0
        self.tokens = min(float(self.limit.burst), self.tokens + (now - self.stamp) * rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def headers(self, now: float) -> dict[str, str]:
        rate = self.limit.per_minute / 60.0
        until_full = (self.limit.burst - self.tokens) / rate if rate > 0 else 0.0
        return {
            "X-RateLimit-Limit": str(self.limit.burst),
            "X-RateLimit-Remaining": str(max(0, math.floor(self.tokens))),
            "X-RateLimit-Reset": str(math.ceil(time.time() + max(0.0, until_full))),
        }


class RateLimiter:
    def __init__(self) -> None:
        self.buckets: dict[str, Bucket] = {}
        # Calls still to be refused as if another client of the tenant had just spent every bucket (the test
        # control ``rate_limit_refusals``): a 429 a test can count on, whatever its machine's speed.
        self.refusals = 0

    def check(self, tenant: Tenant, group: str) -> tuple[bool, dict[str, str]]:
        """Take a token from ``group``'s bucket: (allowed, headers)."""
        config = tenant.config
        limit = config.rate_limits.get(group) or config.rate_limits["other"]
        now = time.monotonic()
        bucket = self.buckets.get(group)
        if bucket is None or bucket.limit != limit:
            bucket = Bucket(limit, float(limit.burst), now)
            self.buckets[group] = bucket
        if not config.rate_limits_enabled:
            # Off: still tell clients what the limit would be, with a bucket that never drains.
            return True, Bucket(limit, float(limit.burst), now).headers(now)
        if self.refusals:
            self.refusals -= 1
            return False, Bucket(limit, 0.0, now).headers(now)
        allowed = bucket.take(now)
        return allowed, bucket.headers(now)


def rate_limiter(tenant: Tenant) -> RateLimiter:
    return tenant.extensions.setdefault("rate_limiter", RateLimiter())
