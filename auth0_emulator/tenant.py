"""The emulated tenant: configuration, state and signing key, shared by every handler."""

from __future__ import annotations

import secrets
from typing import Any

from .config import EmulatorConfig
from .keys import SigningKey
from .store import Store

ACCESS_TOKEN_LIFETIME = 86400  # Auth0's default for Management API tokens: 24 h.


class Tenant:
    def __init__(self, config: EmulatorConfig, store: Store | None = None) -> None:
        self.config = config
        self.store = store or Store(config.data_file)
        self.key = SigningKey(self.store)
        # Feature modules hang their in-process helpers here (rate limiter, caches, …).
        self.extensions: dict[str, Any] = {}

    def access_token_issue(
        self, *, client_id: str, audience: str, scope: str, sub: str | None = None,
        lifetime: int = ACCESS_TOKEN_LIFETIME, extra: dict[str, Any] | None = None,
    ) -> str:
        """An RS256 access token as Auth0 issues them (``sub`` is ``<client>@clients`` for M2M)."""
        claims: dict[str, Any] = {
            "iss": self.config.issuer,
            "sub": sub or f"{client_id}@clients",
            "aud": audience,
            "azp": client_id,
            "scope": scope,
            "jti": secrets.token_hex(8),
        }
        if sub is None:
            claims["gty"] = "client-credentials"
        claims.update(extra or {})
        return self.key.sign(claims, lifetime)
