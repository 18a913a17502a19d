from __future__ import annotations

import secrets
from pathlib import Path


def secret_key_load_or_create(path: Path) -> str:
    """The embedded profile's SECRET_KEY: random, made once, kept in the var directory (mode 600)."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.touch(mode=0o600)
    path.write_text(key)
    return key
