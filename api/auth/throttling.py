"""A per-caller request budget kept in the shared cache (Redis in production), so it holds across every
web process; over it, a 429 with Retry-After."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.auth.caller import ApiCaller


class ApiCallerThrottle(SimpleRateThrottle):
    scope = "portal_api"

    def get_rate(self) -> str:
        return settings.PORTAL_API_RATE

    def get_cache_key(self, request, view) -> str | None:
        caller = request.user
        if not isinstance(caller, ApiCaller):
            return None  # refused before any work anyway
        return f"api-throttle:{caller.subject}"
