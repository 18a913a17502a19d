"""Passwords: scrypt hashes and Auth0's password policies."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

# scrypt with a per-hash salt. n=2**14 keeps one check near 30 ms: slow enough to be a real KDF,
# fast enough that seeding and tests are not dominated by it.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def password_hash_make(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def password_hash_check(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        _, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=int(r), p=int(p)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


_POLICY_MIN_LENGTH = {"none": 1, "low": 6, "fair": 8, "good": 8, "excellent": 10}


def password_policy_check(connection: dict, password: str) -> str | None:
    """Auth0's password policies (none/low/fair/good/excellent) plus ``min_length``; None if ok."""
    options = connection.get("options") or {}
    policy = options.get("passwordPolicy") or "good"
    if policy not in _POLICY_MIN_LENGTH:
        policy = "good"
    min_length = _POLICY_MIN_LENGTH[policy]
    complexity = options.get("password_complexity_options") or {}
    if isinstance(complexity.get("min_length"), int):
        min_length = max(1, complexity["min_length"])
    if not isinstance(password, str) or len(password) < min_length:
        return "PasswordStrengthError: Password is too weak"
    kinds = [
        bool(re.search(r"[a-z]", password)),
        bool(re.search(r"[A-Z]", password)),
        bool(re.search(r"[0-9]", password)),
        bool(re.search(r"[^a-zA-Z0-9]", password)),
    ]
    if policy == "fair" and not all(kinds[:3]):
        return "PasswordStrengthError: Password is too weak"
    if policy in ("good", "excellent") and sum(kinds) < 3:
        return "PasswordStrengthError: Password is too weak"
    if policy == "excellent" and re.search(r"(.)\1\1", password):
        return "PasswordStrengthError: Password is too weak"
    return None
