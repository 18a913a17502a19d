"""Rules for organization settings that forms, services and the metadata schema share."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

SLUG_RE = r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$"
SLUG_MESSAGE = _(
    "Use 3 to 40 lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
)
KEY_RE = r"^[a-z][a-z0-9_]{0,63}$"
KEY_MESSAGE = _("Use lower-case letters, digits and underscores, starting with a letter (at most 64).")

# Keys the portal itself relies on: never editable through an organization's schema.
RESERVED_KEYS = {
    "app_metadata": frozenset({"organizations", "portal", "portal_roles", "roles", "permissions"}),
    "user_metadata": frozenset({"portal"}),
}

# What a phone number in a metadata field looks like: digits with an optional leading +, and the spaces,
# brackets, dots and hyphens people write them with.
METADATA_PHONE_RE = re.compile(r"^\+?[0-9 ().-]{3,32}$")
# A date in a metadata field: the day alone, as ISO 8601 writes it.
METADATA_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Integers JSON readers (and Auth0's dashboard, in JavaScript) keep exactly.
METADATA_INTEGER_MAX = 2**53 - 1

# Auth0's rule for connection names (CreateConnectionRequestContent.name in the Management API spec);
# the Management API answers 400 to anything else.
CONNECTION_NAME_RE = re.compile(r"^[a-zA-Z0-9](-[a-zA-Z0-9]|[a-zA-Z0-9])*$")
CONNECTION_NAME_MAX = 128
CONNECTION_NAME_MESSAGE = _(
    "Auth0 accepts letters, digits and single hyphens only (at most 128 characters), "
    "starting and ending with a letter or digit."
)

# A hostname in lower case: labels of letters, digits and hyphens, with a dot-separated TLD.
DOMAIN_RE = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def domain_normalize(value: str) -> str:
    return value.strip().lower().rstrip(".").removeprefix("@")


def contrast_text_colour(hex_colour: str) -> str:
    """Black or white, whichever reads better on the given background (WCAG relative luminance)."""
    try:
        r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    except (ValueError, IndexError):
        return "#ffffff"

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return "#000000" if luminance > 0.179 else "#ffffff"
