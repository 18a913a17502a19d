"""Identity providers as people read them: Auth0's ``identities[].provider`` codes and their labels (the pages'
``provider_label`` filter, and the profile's words for where a password lives)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Names of products stay as they are; what describes a kind of sign-in is translated.
PROVIDER_LABELS = {
    "auth0": _("Username and password (Auth0 database)"),
    "google-oauth2": "Google",
    "windowslive": _("Microsoft account"),
    "waad": "Microsoft Entra ID",
    "adfs": "Active Directory Federation Services",
    "ad": "Active Directory / LDAP",
    "samlp": "SAML",
    "oidc": "OpenID Connect",
    "okta": "Okta Workforce",
    "github": "GitHub",
    "linkedin": "LinkedIn",
    "apple": "Apple",
    "facebook": "Facebook",
    "twitter": "X (Twitter)",
    "email": _("Passwordless (email)"),
    "sms": _("Passwordless (SMS)"),
    "oauth2": _("Custom social (OAuth 2.0)"),
}


def identity_provider_label(provider: str) -> str:
    return str(PROVIDER_LABELS.get(provider or "", provider or pgettext_lazy("identity provider", "Unknown")))
