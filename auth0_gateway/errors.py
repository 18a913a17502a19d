"""The portal's Auth0 exceptions, and how SDK and transport failures map onto them.

Callers (views, Celery tasks) decide on retries from the class alone: ``Auth0Transient`` and
``Auth0RateLimited`` are worth retrying later, everything else is not. They subclass the base layer's
:mod:`portal.faults`, which is all the operation runner knows. Every exception keeps Auth0's own
``message``, ``status`` and ``errorCode`` so they can be shown or logged as Auth0 said them.
Import these from ``auth0_gateway``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

import httpx
import requests
from auth0.authentication import exceptions as authn_exceptions
from auth0.management.core.api_error import ApiError
from auth0.management.core.parse_error import ParsingError

from portal.faults import PermanentFault, RateLimitedFault, TransientFault


class Auth0GatewayError(Exception):
    """A call to Auth0 failed. ``status`` is None when no HTTP response came back."""

    def __init__(self, message: str, *, status: int | None = None, error_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code

    def __str__(self) -> str:
        parts = [str(self.status)] if self.status is not None else []
        if self.error_code:
            parts.append(self.error_code)
        prefix = f"[{' '.join(parts)}] " if parts else ""
        return f"{prefix}{self.message}"


class Auth0Permanent(Auth0GatewayError, PermanentFault):
    """Auth0 refused the request (4xx other than 404/409/429): retrying the same call will not help."""


class Auth0NotFound(Auth0Permanent):
    """404: the user, organization, connection, job… does not exist."""


class Auth0Conflict(Auth0Permanent):
    """409: e.g. ``The user already exists.``"""


class Auth0Unauthorized(Auth0Permanent):
    """401 from the Management API with a token fetched just now: the portal's credentials (client,
    secret, audience or tenant) are wrong, which no retry can fix."""


class Auth0Transient(Auth0GatewayError, TransientFault):
    """5xx, timeouts, connection failures, a rejected (expired or revoked) cached token: retry later."""


class Auth0RateLimited(Auth0Transient, RateLimitedFault):
    """429. ``reset_at`` is X-RateLimit-Reset (UTC epoch seconds, None if absent); ``retry_after`` is
    the number of seconds to wait from now (Retry-After if Auth0 sent one, else until ``reset_at``)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = 429,
        error_code: str | None = None,
        reset_at: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message, status=status, error_code=error_code)
        self.reset_at = reset_at
        self.retry_after = retry_after


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return None


def _int_header(headers: Mapping[str, Any] | None, name: str) -> int | None:
    value = _header(headers, name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def rate_limited_from_headers(
    message: str, error_code: str | None, headers: Mapping[str, Any] | None
) -> Auth0RateLimited:
    reset_at = _int_header(headers, "x-ratelimit-reset")
    if reset_at is not None and reset_at < 0:  # the authentication SDK uses -1 for "absent"
        reset_at = None
    retry_after = _int_header(headers, "retry-after")
    if retry_after is None and reset_at is not None:
        retry_after = max(0, math.ceil(reset_at - time.time()))
    return Auth0RateLimited(
        message, status=429, error_code=error_code, reset_at=reset_at, retry_after=retry_after
    )


def error_for_status(
    status: int, message: str, error_code: str | None, headers: Mapping[str, Any] | None = None
) -> Auth0GatewayError:
    if status == 429:
        return rate_limited_from_headers(message, error_code, headers)
    if status == 404:
        return Auth0NotFound(message, status=status, error_code=error_code)
    if status == 409:
        return Auth0Conflict(message, status=status, error_code=error_code)
    # 401 with a token we cached means it expired early or was revoked (key rotation, tenant
    # reset): the caller drops the token and a later attempt gets a new one. 408 is a timeout.
    if status >= 500 or status in (401, 408):
        return Auth0Transient(message, status=status, error_code=error_code)
    return Auth0Permanent(message, status=status, error_code=error_code)


def error_from_management(exc: Exception) -> Auth0GatewayError | None:
    """Map an exception raised by the Management API SDK (or its httpx transport); None if it is
    not one of those (a programming error, left to propagate)."""
    if isinstance(exc, ApiError):
        status = exc.status_code or 0
        body = exc.body
        if isinstance(body, Mapping):
            message = str(body.get("message") or body.get("error") or f"HTTP {status}")
            code = body.get("errorCode")
        else:  # not JSON (a proxy's HTML error page, an empty body)
            message = (str(body).strip()[:200] if body else "") or f"HTTP {status}"
            code = None
        return error_for_status(status, message, str(code) if code else None, exc.headers)
    if isinstance(exc, ParsingError):
        # A 2xx whose JSON does not have the shape Auth0 documents: calling again will not fix it.
        return Auth0Permanent(
            f"Unexpected response shape from Auth0: {exc.cause}", status=exc.status_code
        )
    if isinstance(exc, httpx.TimeoutException):
        return Auth0Transient(f"Auth0 did not answer in time ({type(exc).__name__})")
    if isinstance(exc, httpx.TransportError):
        return Auth0Transient(f"Auth0 could not be reached ({type(exc).__name__}: {exc})")
    return None


def error_from_token_endpoint(exc: Exception) -> Auth0GatewayError | None:
    """Map a failure of ``POST /oauth/token`` (authentication SDK, on ``requests``)."""
    if isinstance(exc, authn_exceptions.RateLimitError):
        return rate_limited_from_headers(exc.message, exc.error_code, exc.headers)
    if isinstance(exc, authn_exceptions.Auth0Error):
        status = int(exc.status_code) if exc.status_code is not None else 0
        if status == 429:
            return rate_limited_from_headers(exc.message, exc.error_code, exc.headers)
        if status in (401, 403):
            # A wrong client id or secret, or a client not authorized for the API: configuration,
            # not a passing condition; the management-call mapping of 401 does not apply here.
            return Auth0Permanent(exc.message, status=status, error_code=exc.error_code)
        return error_for_status(status, exc.message, exc.error_code, exc.headers)
    if isinstance(exc, requests.Timeout):
        return Auth0Transient(f"Auth0 token endpoint did not answer in time ({type(exc).__name__})")
    if isinstance(exc, requests.RequestException):
        return Auth0Transient(f"Auth0 token endpoint could not be reached ({type(exc).__name__})")
    if isinstance(exc, ValueError):
        # A 2xx that is not JSON, or JSON without an access_token.
        return Auth0Permanent(f"Unexpected response from the Auth0 token endpoint: {exc}")
    return None
