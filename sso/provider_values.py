"""What the organization's admin gives their identity provider, as Auth0 itself names it for the connection."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from sso.models import SsoConnection


@dataclass(frozen=True)
class ProviderValue:
    label: str
    value: str
    help: str


def provider_values(connection: SsoConnection) -> list[ProviderValue]:
    base = settings.AUTH0_BASE_URL
    if connection.strategy == SsoConnection.Strategy.SAML:
        return [
            ProviderValue("Single sign-on URL (ACS URL, Reply URL)",
                          f"{base}/login/callback?connection={connection.name}",
                          "Where your provider sends people back after they sign in."),
            ProviderValue("Audience (SP entity ID, Identifier)",
                          f"urn:auth0:{settings.AUTH0_TENANT_NAME}:{connection.name}",
                          "The name your provider knows this sign-in by."),
            ProviderValue("Name ID format", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
                          "Send each person's email address (or another identifier that never changes)."),
            ProviderValue("Attributes", "email, given_name, family_name (optional)",
                          "Include the email address: the portal matches people by it."),
        ]
    return [
        ProviderValue("Sign-in redirect URI (callback URL)", f"{base}/login/callback",
                      "Where your provider sends people back after they sign in."),
        ProviderValue("Scopes", "openid profile email", "What the sign-in asks for."),
    ]
