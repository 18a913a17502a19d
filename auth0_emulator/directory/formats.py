"""Auth0's formats: its timestamps, and the ids the directory hands out (random, or stable for seeds)."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime


def now_iso(ts: float | None = None) -> str:
    """Auth0's timestamp format: ISO-8601 in UTC with milliseconds and ``Z``."""
    dt = datetime.fromtimestamp(time.time() if ts is None else ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def random_id(prefix: str, length: int = 16) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def stable_id(prefix: str, seed: str, length: int = 16) -> str:
    """Deterministic ids for seeded objects, so a demo tenant looks the same on every machine."""
    return prefix + hashlib.sha1(seed.encode()).hexdigest()[:length]  # noqa: S324 - not security


def user_id_for_email(email: str) -> str:
    """The demo seed's deterministic user id: ``auth0|`` + 24 hex of sha1(lowercased email)."""
    return "auth0|" + hashlib.sha1(email.lower().encode()).hexdigest()[:24]  # noqa: S324 - an id
