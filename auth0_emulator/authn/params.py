"""Reading requests: the tenant, form or JSON bodies, the end user's IP."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from ..tenant import Tenant
from .errors import invalid_request

MAX_BODY_BYTES = 64 * 1024


def tenant_of(request: Request) -> Tenant:
    return request.app.state.tenant


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "0.0.0.0"  # noqa: S104 - a placeholder, never bound


async def body_params(request: Request) -> dict[str, str]:
    """The body of an Authentication API call as flat strings: Auth0 accepts both
    ``application/x-www-form-urlencoded`` (what OAuth clients send) and JSON (what the SDKs send)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise invalid_request("Request body too large")
    if content_type == "application/json":
        try:
            data: Any = json.loads(raw or b"{}")
        except ValueError:
            raise invalid_request("Invalid JSON body") from None
        if not isinstance(data, dict):
            raise invalid_request("Invalid JSON body")
        # The SDK sends absent optional values as null; treat them as absent.
        return {k: _flat(v) for k, v in data.items() if v is not None}
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data", ""):
        try:
            form = await request.form()
        except Exception:
            raise invalid_request("Invalid request body") from None
        return {k: v for k, v in form.items() if isinstance(v, str)}
    raise invalid_request(f"Unsupported content type: {content_type}")


def _flat(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)


async def form_params(request: Request) -> dict[str, str]:
    """The fields of a hosted page's form (bad bodies read as empty: the page re-renders)."""
    try:
        form = await request.form()
    except Exception:
        return {}
    return {k: v for k, v in form.items() if isinstance(v, str)}
