"""What the organization's admin gives their identity provider, as Auth0 itself names it for the connection."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

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
            ProviderValue(_("Single sign-on URL (ACS URL, Reply URL)"),
                          f"{base}/login/callback?connection={connection.name}",
                          _("Where your provider sends people back after they sign in.")),
            ProviderValue(_("Audience (SP entity ID, Identifier)"),
                          f"urn:auth0:{settings.AUTH0_TENANT_NAME}:{connection.name}",
                          _("The name your provider knows this sign-in by.")),
            ProviderValue(_("Name ID format"), "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
                          _("Send each person's email address (or another identifier that never changes).")),
            # The values are what the provider is given, as it is given them: never translated.
            ProviderValue(_("Attributes"), "email, given_name, family_name (optional)",
                          _("Include the email address: the portal matches people by it.")),
        ]
    return [
        ProviderValue(_("Sign-in redirect URI (callback URL)"), f"{base}/login/callback",
                      _("Where your provider sends people back after they sign in.")),
        ProviderValue(_("Scopes"), "openid profile email", _("What the sign-in asks for.")),
    ]
