"""The portal side of the demo tenant that `python -m auth0_emulator --seed demo` serves.

Emails and connections here are the emulator's demo data (README, "Trying every persona").
"""

from __future__ import annotations

from organizations.models import MembershipMode

COMPANY_ADMIN_EMAIL = "admin@portal.test"
SHARED_CONNECTION = "Username-Password-Authentication"

ORGANIZATIONS = [
    {
        "slug": "acme", "display_name": "Acme", "membership_mode": MembershipMode.ISOLATED_CONNECTION,
        "connection_name": "acme-users", "domains": ["acme.test"], "accent_colour": "#b02a37",
    },
    {
        "slug": "initech", "display_name": "Initech", "membership_mode": MembershipMode.SHARED_CONNECTION,
        "connection_name": SHARED_CONNECTION, "domains": ["initech.test"], "accent_colour": "#146c43",
    },
    {
        "slug": "globex", "display_name": "Globex", "membership_mode": MembershipMode.AUTH0_ORGANIZATION,
        "connection_name": SHARED_CONNECTION, "domains": ["globex.test"], "accent_colour": "#6f42c1",
    },
]


def role_emails(slug: str) -> dict[str, str]:
    return {f"admin@{slug}.test": "admin", f"viewer@{slug}.test": "viewer"}
