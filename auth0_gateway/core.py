"""The plumbing every call of the gateway shares: :class:`GatewayCore` builds the SDK client (token, httpx
client, shared budget) and makes each Management API call with its failure mapped to an
:class:`~auth0_gateway.errors.Auth0GatewayError`; the helpers below turn SDK models back into Auth0's JSON
and keyword arguments into request bodies.

The calls themselves are grouped by Auth0 resource in mixins on top of it (:mod:`.users`,
:mod:`.organizations`, :mod:`.roles`, :mod:`.connections`, :mod:`.streams`, :mod:`.jobs`), composed into
:class:`~auth0_gateway.client.Auth0Gateway`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import httpx
import pydantic
from auth0.management.client import Auth0
from auth0.management.core.request_options import RequestOptions

from portal.ratelimit import RateLimiter, rate_limiter

from .budget import BudgetHooks, CallMetricsHooks
from .errors import Auth0GatewayError, Auth0Permanent, Auth0Unauthorized, error_from_management
from .paging import offset_next, pages
from .token import ManagementToken

MAX_PER_PAGE = 100

# The SDK's own retry loop sleeps inside the call (up to 60 s) and retries 409s on create. The
# client is built with max_retries=0 (HttpClient.request reads request_options["max_retries"] and
# falls back to that), and every call also passes this, so neither layer alone is load-bearing.
_NO_RETRIES: RequestOptions = {"max_retries": 0}

T = TypeVar("T")


def _auth0_timestamp(value: dt.datetime) -> str:
    # The SDK parses Auth0's "2025-01-04T13:00:07.000Z" into a datetime; write it back the same way.
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def plain(value: Any) -> Any:
    """Auth0's JSON from an SDK model: by alias, only the fields Auth0 sent, timestamps as Auth0
    writes them."""
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump(by_alias=True, exclude_unset=True)
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return _auth0_timestamp(value)
    return value


def given(**kwargs: Any) -> dict[str, Any]:
    """The keyword arguments the caller gave. The SDK sends an explicit None as JSON null, which
    for PATCH /users would mean "clear this field": only what was asked for goes out."""
    return {k: v for k, v in kwargs.items() if v is not None}


def fields_param(fields: Sequence[str] | None) -> str | None:
    if fields is None:
        return None
    if isinstance(fields, str):
        return fields
    return ",".join(fields)


def as_int(value: Any, default: int = 0) -> int:
    # Page envelopes are typed float in the SDK (start, limit, total): Auth0 sends integers.
    return int(value) if value is not None else default


class GatewayCore:
    """The SDK client and the one way to call it; the resource mixins add the calls (thread-safe)."""

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        domain: str | None = None,
        audience: str | None = None,
        timeout: float = 15.0,
        httpx_client: httpx.Client | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        """``httpx_client``: a preconfigured client (proxy, CA bundle, instrumentation) used for every
        Management API call and export download; the token request goes through the
        authentication SDK, which has its own. ``limiter``: the budget shared with every other worker
        (:mod:`portal.ratelimit`), which each Management API call spends from; none, no budget."""
        base_url = base_url.rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"AUTH0_BASE_URL must be an absolute http(s) URL, not {base_url!r}")
        self.base_url = base_url
        self.timeout = timeout
        self._token = ManagementToken(
            domain=domain or parts.netloc,
            client_id=client_id,
            client_secret=client_secret,
            audience=audience or f"{base_url}/api/v2/",
            protocol=parts.scheme,
            timeout=timeout,
        )
        self._owns_http = httpx_client is None
        self._http = httpx_client or httpx.Client(timeout=timeout, follow_redirects=True)
        # The single choke point of every Management API call: its budget, then its answer counted (/metrics).
        hooks = self._http.event_hooks
        counted = CallMetricsHooks(f"{base_url}/api/v2")
        self._http.event_hooks = {"request": list(hooks["request"]), "response": [*hooks["response"], counted.response]}
        if limiter is not None:
            budget = BudgetHooks(limiter, f"{base_url}/api/v2")
            hooks = self._http.event_hooks
            self._http.event_hooks = {"request": [*hooks["request"], budget.request],
                                      "response": [*hooks["response"], budget.response]}
        self._client = Auth0(
            base_url=f"{base_url}/api/v2",
            token=self._token,
            max_retries=0,
            timeout=timeout,
            httpx_client=self._http,
        )

    @classmethod
    def from_settings(cls) -> Self:
        from django.conf import settings

        return cls(
            base_url=settings.AUTH0_BASE_URL,
            domain=settings.AUTH0_DOMAIN,
            client_id=settings.AUTH0_MGMT_CLIENT_ID,
            client_secret=settings.AUTH0_MGMT_CLIENT_SECRET,
            audience=settings.AUTH0_MGMT_AUDIENCE,
            timeout=settings.AUTH0_MGMT_TIMEOUT,
            limiter=rate_limiter(),
        )

    def __repr__(self) -> str:
        return f"<Auth0Gateway {self.base_url}>"

    @property
    def token_fetch_count(self) -> int:
        """How many times this gateway asked /oauth/token for a token."""
        return self._token.fetch_count

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # -- plumbing -------------------------------------------------------------------------------
    def _call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One Management API call, its failure mapped to an :class:`Auth0GatewayError`.

        A 401 means the cached token expired early or was revoked: it is dropped and the call made once
        more with a new one (Auth0 refused the request before doing anything, so repeating it is safe).
        A 401 for a token fetched just now means the portal's credentials are wrong: retrying cannot
        help, so it is permanent, with a message saying what to check."""
        try:
            return self._call_once(method, *args, **kwargs)
        except Auth0GatewayError as exc:
            if exc.status != 401 or isinstance(exc, Auth0Permanent):
                raise
        self._token.invalidate()
        try:
            return self._call_once(method, *args, **kwargs)
        except Auth0GatewayError as exc:
            if exc.status != 401 or isinstance(exc, Auth0Permanent):
                raise
            raise Auth0Unauthorized(
                f"Auth0 refused the portal's Management API token ({exc.message}), also a new one: check "
                "AUTH0_MGMT_CLIENT_ID, AUTH0_MGMT_CLIENT_SECRET, AUTH0_MGMT_AUDIENCE and that AUTH0_DOMAIN "
                "and AUTH0_BASE_URL name the same tenant.",
                status=401, error_code=exc.error_code,
            ) from None

    def _call_once(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return method(*args, request_options=_NO_RETRIES, **kwargs)
        except Auth0GatewayError:
            raise  # from the token fetch, already mapped
        except Exception as exc:
            mapped = error_from_management(exc)
            if mapped is None:
                raise
            raise mapped from exc

    def _offset_listing(self, method: Callable[..., Any], *args: Any, items: str, **params: Any) -> list[Any]:
        """Every item of a page-numbered listing whose envelope holds them under ``items``, all pages;
        ``params`` are the listing's own query parameters (a filter), sent with every page."""

        def fetch(page: int) -> tuple[list[Any], int | None]:
            envelope = self._call(method, *args, page=page, per_page=MAX_PER_PAGE, include_totals=True,
                                  **params).response
            chunk = [plain(item) for item in (getattr(envelope, items) or [])]
            return chunk, offset_next(page, count=len(chunk), per_page=MAX_PER_PAGE,
                                      start=as_int(envelope.start, page * MAX_PER_PAGE),
                                      total=as_int(envelope.total, page * MAX_PER_PAGE + len(chunk)))

        return list(pages(fetch, 0))
