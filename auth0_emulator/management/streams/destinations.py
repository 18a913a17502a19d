"""Checks shared by event streams and log streams: receiver URLs and Auth0's enum wording.

Both specs give receiver URLs the pattern ``^https://.*`` (``EventStreamWebhookConfiguration``,
``LogStreamHttpSink``). A receiver on the developer's machine or on a compose network speaks plain
HTTP, so ``--allow-http-destinations`` widens the pattern to ``^https?://``; nothing else changes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ...tenant import Tenant
from ..common import payload_invalid


def endpoint_check(tenant: Tenant, value: Any, name: str, description: str) -> str:
    """``value`` as a receiver URL, or Auth0's 400 naming the property ``name``."""
    if not isinstance(value, str):
        raise payload_invalid(f"Expected type string but found type {_json_type(value)}", name, description)
    schemes = ("https", "http") if tenant.config.allow_http_destinations else ("https",)
    pattern = "^https?://.*" if tenant.config.allow_http_destinations else "^https://.*"
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        host = None
    if not value.lower().startswith(tuple(f"{s}://" for s in schemes)):
        raise payload_invalid(f"String does not match pattern {pattern}: {value}", name, description)
    if not host:
        raise payload_invalid(f"Object didn't pass validation for format uri: {value}", name, description)
    return value


def enum_check(value: Any, allowed: tuple[str, ...], name: str, description: str = "") -> str:
    if not isinstance(value, str) or value not in allowed:
        raise payload_invalid(f'No enum match for: "{value}"', name, description)
    return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array"}.get(type(value), "string")
