"""Auth0 user JSON for directory tests, shaped as the Management API returns it."""

from __future__ import annotations

import itertools

_counter = itertools.count(1)


def auth0_user(*, connection: str = "Username-Password-Authentication", email: str | None = None,
               updated_at: str = "2025-01-01T00:00:00.000Z", **fields) -> dict:
    n = next(_counter)
    user_id = fields.pop("user_id", f"auth0|{n:024x}")
    return {
        "user_id": user_id,
        "email": email or f"person{n}@example.test",
        "email_verified": True,
        "name": f"Person {n}",
        "given_name": "Person",
        "family_name": f"Number{n}",
        "nickname": f"p{n}",
        "identities": [{"connection": connection, "provider": "auth0", "user_id": user_id.split("|")[-1],
                        "isSocial": False}],
        "created_at": "2024-06-01T00:00:00.000Z",
        "updated_at": updated_at,
        "logins_count": 0,
        **fields,
    }
