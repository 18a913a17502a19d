"""Emulator configuration: one immutable object built from the command line (or by tests)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: ``burst`` requests at once, refilled at ``per_minute``."""

    burst: int
    per_minute: int


# Auth0's published Essentials/Professional figures (reference/NOTES.md), per endpoint group.
DEFAULT_RATE_LIMITS: dict[str, RateLimit] = {
    "read_users": RateLimit(burst=40, per_minute=500),
    "write_users": RateLimit(burst=20, per_minute=200),
    "read_logs": RateLimit(burst=10, per_minute=100),
    "org_members_read": RateLimit(burst=40, per_minute=500),
    "org_members_write": RateLimit(burst=20, per_minute=200),
    "other": RateLimit(burst=10, per_minute=150),
}


# The shape of the Authentication API's OpenID provider. Auth0 puts profile claims in the ID token,
# logs out at /oidc/logout and takes client secrets in the header or the body; a plain provider (the
# "plain" profile) serves profile claims only from /userinfo, has its own logout path and accepts one
# client authentication method, so a relying party can be tested against both shapes.
CLAIMS_IN = ("id_token", "userinfo")
TOKEN_AUTH_METHODS = ("any", "client_secret_basic", "client_secret_post")
OIDC_PROFILES: dict[str, dict[str, str]] = {
    "auth0": {"claims_in": "id_token", "end_session_path": "/oidc/logout", "token_auth_method": "any"},
    "plain": {
        "claims_in": "userinfo",
        "end_session_path": "/connect/endsession",
        "token_auth_method": "client_secret_basic",
    },
}
OIDC_SWITCHES = tuple(OIDC_PROFILES["auth0"])
_PATH = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")


def fault_statuses_parse(values: object) -> tuple[int, ...]:
    """The statuses injected faults answer, from one status or a list of them (the command line's
    ``500,503`` split, or the test control's JSON): a ValueError unless each is an HTTP error status."""
    items = values if isinstance(values, list | tuple) else [values]
    try:
        statuses = tuple(int(v) for v in items)
    except (TypeError, ValueError):
        raise ValueError("fault statuses must be HTTP error statuses, e.g. 503 or 500,503") from None
    if not statuses or not all(400 <= s <= 599 for s in statuses):
        raise ValueError("fault statuses must be HTTP error statuses (400 to 599), e.g. 503 or 500,503")
    return statuses


def oidc_value_problem(name: str, value: object) -> str | None:
    """Why ``value`` cannot be the OIDC switch ``name``, or None: one check for the command line,
    the environment and the test control, so all three refuse the same values the same way."""
    if name == "claims_in" and value not in CLAIMS_IN:
        return f"must be one of {', '.join(CLAIMS_IN)}"
    if name == "token_auth_method" and value not in TOKEN_AUTH_METHODS:
        return f"must be one of {', '.join(TOKEN_AUTH_METHODS)}"
    if name == "end_session_path" and not (isinstance(value, str) and _PATH.match(value)):
        return "must be a path of one or more /segments (letters, digits, . _ ~ -), e.g. /connect/endsession"
    return None


@dataclass(frozen=True)
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 8900
    # The URL browsers and the portal use to reach the emulator; the issuer is this plus "/".
    public_url: str = "http://127.0.0.1:8900"
    # The tenant's name, as Auth0 puts it in logs (tenant_name) and events (a0tenant).
    tenant_name: str = "emulator"
    data_file: str = "var/auth0-emulator.sqlite3"
    # "demo", "empty", or "synthetic" (with synthetic_users / synthetic_orgs).
    seed: str = "demo"
    synthetic_users: int = 0
    synthetic_orgs: int = 0
    # How many of the synthetic users belong to the first organization (org0000, an isolated
    # connection); 0 spreads every user evenly.
    synthetic_big_org_users: int = 0
    rate_limits_enabled: bool = True
    rate_limits: dict[str, RateLimit] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    # Fault injection and test controls, all off by default.
    fault_rate: float = 0.0
    # Each injected fault answers one of these statuses, chosen at random (e.g. 500 and 503).
    fault_statuses: tuple[int, ...] = (503,)
    latency_ms: int = 0
    search_lag_seconds: float = 0.0
    # Enables POST /emulator/reset and the other /emulator/* controls.
    test_controls: bool = False
    # Pushed changes (event streams, log streams). Auth0 accepts only https:// receivers; a local
    # receiver (the portal in development, a test) is plain http, which this allows.
    allow_http_destinations: bool = False
    # Event deliveries: attempts before a delivery is failed, and the first retry's delay (doubling).
    delivery_attempts: int = 5
    delivery_backoff_seconds: float = 1.0
    # Log streams send a batch when 100 events wait or the oldest has waited this long.
    log_batch_seconds: float = 1.0
    # The OpenID provider's shape (OIDC_PROFILES): Auth0's unless told otherwise.
    claims_in: str = "id_token"
    end_session_path: str = "/oidc/logout"
    token_auth_method: str = "any"  # noqa: S105 - a method name, not a secret
    # The portal REST API's identifier (the portal's PORTAL_API_AUDIENCE): the tool clients' grants are for it.
    portal_api_audience: str = "https://portal.local/api/"

    @property
    def issuer(self) -> str:
        return self.public_url.rstrip("/") + "/"

    @property
    def management_audience(self) -> str:
        return self.public_url.rstrip("/") + "/api/v2/"
