"""Emulator configuration: one immutable object built from the command line (or by tests)."""

from __future__ import annotations

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


@dataclass(frozen=True)
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 8900
    # The URL browsers and the portal use to reach the emulator; the issuer is this plus "/".
    public_url: str = "http://127.0.0.1:8900"
    data_file: str = "var/auth0-emulator.sqlite3"
    # "demo", "empty", or "synthetic" (with synthetic_users / synthetic_orgs).
    seed: str = "demo"
    synthetic_users: int = 0
    synthetic_orgs: int = 0
    rate_limits_enabled: bool = True
    rate_limits: dict[str, RateLimit] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    # Fault injection and test controls, all off by default.
    fault_rate: float = 0.0
    fault_status: int = 503
    latency_ms: int = 0
    search_lag_seconds: float = 0.0
    # Enables POST /emulator/reset and the other /emulator/* controls.
    test_controls: bool = False

    @property
    def issuer(self) -> str:
        return self.public_url.rstrip("/") + "/"

    @property
    def management_audience(self) -> str:
        return self.public_url.rstrip("/") + "/api/v2/"
