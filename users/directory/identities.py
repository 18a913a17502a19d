"""Identity providers as people read them: Auth0's ``identities[].provider`` codes and their labels (the pages'
``provider_label`` filter, and the profile's words for where a password lives)."""

from __future__ import annotations

PROVIDER_LABELS = {
    "auth0": "Username and password (Auth0 database)",
    "google-oauth2": "Google",
    "windowslive": "Microsoft account",
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
    "email": "Passwordless (email)",
    "sms": "Passwordless (SMS)",
    "oauth2": "Custom social (OAuth 2.0)",
}


def identity_provider_label(provider: str) -> str:
    return PROVIDER_LABELS.get(provider or "", provider or "Unknown")
