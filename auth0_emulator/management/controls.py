"""Test controls and fault injection for the Management API.

``POST /emulator/controls`` changes fault rate/status, latency, search lag and rate limits of the
running process, and may have the next calls refused with 429 as if another client had spent the limits
(so one emulator can be driven by a whole test session); ``POST /emulator/reset`` puts the tenant back to
its seed; ``GET /emulator/stats`` counts what the Management API answered since the start (or the last
reset), per endpoint group: calls served, refused with 429, and failed by an injected fault. All exist only
with ``--test-controls`` (otherwise 404).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import DEFAULT_RATE_LIMITS, RateLimit, fault_statuses_parse
from ..errors import Auth0Error
from ..tenant import Tenant
from .common import ok, payload_invalid, request_body, tenant_of
from .ratelimit import endpoint_group, rate_limiter

CONTROL_FIELDS = (
    "fault_rate",
    "fault_status",
    "latency_ms",
    "search_lag_seconds",
    "rate_limits_enabled",
    "rate_limits",
    "rate_limit_refusals",
)


def _controls_view(tenant: Tenant) -> dict[str, Any]:
    c = tenant.config
    return {
        "fault_rate": c.fault_rate,
        # As it was given: one status, or the list each fault picks from.
        "fault_status": c.fault_statuses[0] if len(c.fault_statuses) == 1 else list(c.fault_statuses),
        "latency_ms": c.latency_ms,
        "search_lag_seconds": c.search_lag_seconds,
        "rate_limits_enabled": c.rate_limits_enabled,
        "rate_limits": {g: {"burst": r.burst, "per_minute": r.per_minute} for g, r in c.rate_limits.items()},
        "rate_limit_refusals": rate_limiter(tenant).refusals,
    }


def _require_controls(request: Request) -> Tenant:
    tenant = tenant_of(request)
    if not tenant.config.test_controls:
        raise Auth0Error(404, "Not Found", None)
    return tenant


async def controls_get(request: Request) -> Response:
    return ok(_controls_view(_require_controls(request)))


async def controls_set(request: Request) -> Response:
    tenant = _require_controls(request)
    body = await request_body(request, allowed=CONTROL_FIELDS)
    changes: dict[str, Any] = {}
    refusals: int | None = None
    try:
        if "fault_rate" in body:
            changes["fault_rate"] = float(body["fault_rate"])
            if not 0.0 <= changes["fault_rate"] <= 1.0:
                raise ValueError("fault_rate must be between 0 and 1")
        if "fault_status" in body:
            changes["fault_statuses"] = fault_statuses_parse(body["fault_status"])
        if "latency_ms" in body:
            changes["latency_ms"] = max(0, int(body["latency_ms"]))
        if "search_lag_seconds" in body:
            changes["search_lag_seconds"] = max(0.0, float(body["search_lag_seconds"]))
        if "rate_limits_enabled" in body:
            changes["rate_limits_enabled"] = bool(body["rate_limits_enabled"])
        if "rate_limits" in body:
            limits = dict(tenant.config.rate_limits)
            for group, spec in dict(body["rate_limits"]).items():
                if group not in DEFAULT_RATE_LIMITS:
                    raise ValueError(f"unknown rate limit group {group!r}")
                limits[group] = RateLimit(int(spec["burst"]), int(spec["per_minute"]))
            changes["rate_limits"] = limits
        if "rate_limit_refusals" in body:
            refusals = int(body["rate_limit_refusals"])
            if refusals < 0:
                raise ValueError("rate_limit_refusals must be 0 or more")
    except (TypeError, ValueError, KeyError) as exc:
        raise payload_invalid(str(exc)) from None
    tenant.config = dataclasses.replace(tenant.config, **changes)
    if "rate_limits" in changes or "rate_limits_enabled" in changes:
        tenant.extensions.pop("rate_limiter", None)
    if refusals is not None:
        # The next calls, of any group, answered 429 as empty buckets answer (with limits on): as if another
        # client of the tenant had just spent them.
        rate_limiter(tenant).refusals = refusals
    return ok(_controls_view(tenant))


async def reset(request: Request) -> Response:
    tenant = _require_controls(request)
    tenant_reset(tenant)
    return ok({"reset": True, "seed": tenant.config.seed})


def tenant_reset(tenant: Tenant) -> None:
    """Wipe the data file back to its seed, keeping the signing key (tokens stay valid) and the
    start-up configuration."""
    from ..seed import tenant_seed  # seed imports directory, which must not import management

    pem = tenant.store.kv_get("signing_key_pem")
    tenant.store.wipe()
    tenant.store.kv_set("signing_key_pem", pem)
    initial = tenant.extensions.get("initial_config")
    if initial is not None:
        tenant.config = initial
    for key in ("users_index", "rate_limiter", "token_cache", "event_streams_cache", "log_streams_active", "stats"):
        tenant.extensions.pop(key, None)
    tenant_seed(tenant)
    dispatcher = tenant.extensions.get("dispatcher")
    if dispatcher is not None:
        dispatcher.reset()


STAT_OUTCOMES = ("served", "rate_limited", "faults")


def _stats(tenant: Tenant) -> dict[str, dict[str, int]]:
    return tenant.extensions.setdefault("stats", {})


def _stat_count(tenant: Tenant, group: str, outcome: str) -> None:
    counts = _stats(tenant).setdefault(group, dict.fromkeys(STAT_OUTCOMES, 0))
    counts[outcome] += 1


async def stats_get(request: Request) -> Response:
    """Management API calls per endpoint group since the start or the last reset: ``served`` (by the
    API, whatever it answered), ``rate_limited`` (429) and ``faults`` (injected)."""
    tenant = _require_controls(request)
    return ok({"groups": {group: dict(counts) for group, counts in sorted(_stats(tenant).items())}})


def routes(tenant: Tenant) -> list[BaseRoute]:
    return [
        Route("/emulator/controls", controls_get, methods=["GET"]),
        Route("/emulator/stats", stats_get, methods=["GET"]),
        Route("/emulator/controls", controls_set, methods=["POST"]),
        Route("/emulator/reset", reset, methods=["POST"]),
    ]


class ManagementMiddleware:
    """On ``/api/v2``: added latency, rate limiting (with X-RateLimit-* headers on every response) and
    injected faults, in that order."""

    def __init__(self, app: ASGIApp, tenant: Tenant) -> None:
        self.app = app
        self.tenant = tenant

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/v2/"):
            await self.app(scope, receive, send)
            return
        config = self.tenant.config
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        group = endpoint_group(scope["method"], scope["path"])
        allowed, headers = rate_limiter(self.tenant).check(self.tenant, group)
        if not allowed:
            _stat_count(self.tenant, group, "rate_limited")
            await Auth0Error(429, "Global limit has been reached", "too_many_requests", headers).response()(
                scope, receive, send
            )
            return
        if config.fault_rate and random.random() < config.fault_rate:  # noqa: S311 - not crypto
            _stat_count(self.tenant, group, "faults")
            await Auth0Error(
                random.choice(config.fault_statuses),  # noqa: S311 - not crypto
                "Injected fault (emulator fault injection)", "emulator_fault", headers,
            ).response()(scope, receive, send)
            return
        _stat_count(self.tenant, group, "served")
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *raw]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
