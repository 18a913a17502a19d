"""One cached Management API token per process (client-credentials grant).

Auth0 counts and rate-limits token requests and issues 24 h tokens, so the token is fetched once and
reused by every call until shortly before it expires. The token is a secret: it is never logged and
never part of an exception message or a repr.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from auth0.authentication import GetToken

from .errors import Auth0GatewayError, Auth0Permanent, error_from_token_endpoint

# Refresh this long before expiry (capped at half the lifetime for short-lived tokens), so a call
# that starts just before expiry does not reach Auth0 with a token that has lapsed in flight.
REFRESH_MARGIN_SECONDS = 300.0


class ManagementToken:
    """A thread-safe, lazily fetched client-credentials token; call the instance to get it."""

    def __init__(
        self,
        *,
        domain: str,
        client_id: str,
        client_secret: str,
        audience: str,
        protocol: str = "https",
        timeout: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._audience = audience
        self._get_token = GetToken(domain, client_id, client_secret, protocol=protocol, timeout=timeout)
        self._clock = clock  # monotonic seconds; a parameter so expiry can be tested without waiting
        self._lock = threading.Lock()
        # (token, clock time after which a new one is fetched), swapped as one value so a reader
        # without the lock never pairs one token with another's expiry.
        self._state: tuple[str, float] | None = None
        self.fetch_count = 0  # how many times /oauth/token was called (for tests and metrics)

    def __repr__(self) -> str:
        state = "cached" if self._state else "empty"
        return f"<ManagementToken audience={self._audience!r} {state}>"

    def __call__(self) -> str:
        # The SDK calls this before every request: the fast path must not take the lock.
        state = self._state
        if state is not None and self._clock() < state[1]:
            return state[0]
        with self._lock:
            state = self._state
            if state is None or self._clock() >= state[1]:
                state = self._fetch()
                self._state = state
            return state[0]

    def invalidate(self) -> None:
        """Forget the token (Auth0 rejected it): the next call fetches a new one."""
        with self._lock:
            self._state = None

    def _fetch(self) -> tuple[str, float]:
        started = self._clock()
        self.fetch_count += 1
        try:
            body = self._get_token.client_credentials(audience=self._audience)
        except Exception as exc:
            mapped = error_from_token_endpoint(exc)
            if mapped is None:
                raise
            raise mapped from None  # the SDK's exception may carry the request; keep it out of logs
        try:
            token = body["access_token"]
            lifetime = float(body.get("expires_in", 86400))
        except (TypeError, KeyError, ValueError):
            raise Auth0Permanent("The Auth0 token endpoint answered without an access_token") from None
        if not isinstance(token, str) or not token:
            raise Auth0GatewayError("The Auth0 token endpoint returned an empty access_token")
        margin = min(REFRESH_MARGIN_SECONDS, lifetime / 2)
        return token, started + lifetime - margin
