"""An organization's own identity provider, as an Auth0 enterprise connection (``samlp`` or ``oidc``) set up by the
organization's admin (docs/enterprise-sso.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SsoConnection(models.Model):
    class Strategy(models.TextChoices):
        SAML = "samlp", "SAML"
        OIDC = "oidc", "OpenID Connect"

    class Status(models.TextChoices):
        CREATING = "creating", _("Being created in Auth0")
        READY = "ready", _("Ready to test")
        ON = "on", pgettext_lazy("state of an SSO connection", "On")
        OFF = "off", pgettext_lazy("state of an SSO connection", "Off")
        FAILED = "failed", _("Could not be created")

    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE,
                                     related_name="sso_connections")
    strategy = models.CharField(max_length=8, choices=Strategy.choices)
    # The Auth0 connection's name (what /authorize's ``connection`` names), fixed once created.
    name = models.CharField(max_length=128, unique=True)
    display_name = models.CharField(max_length=120)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CREATING)
    auth0_connection_id = models.CharField(max_length=64, blank=True)
    # SAML: the identity provider's entity id, sign-in URL and signing certificate (PEM; public, shown as its
    # fingerprint), and the certificate it replaced (kept so a replacement that fails can be undone).
    idp_entity_id = models.CharField(max_length=500, blank=True)
    sign_in_url = models.URLField(max_length=500, blank=True)
    signing_cert = models.TextField(blank=True)
    previous_signing_cert = models.TextField(blank=True)
    # OIDC: the provider's issuer, the client the organization registered there, and its secret. The secret is
    # write-only: pages and the API never show it, logs and audit never carry it.
    issuer = models.URLField(max_length=500, blank=True)
    client_id = models.CharField(max_length=255, blank=True)
    client_secret = models.CharField(max_length=500, blank=True)
    # The last successful test sign-in through the connection: who (their email) and when. Turning on needs one
    # since the connection last changed.
    tested_at = models.DateTimeField(null=True, blank=True)
    tested_as = models.CharField(max_length=255, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name", "id"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_tested(self) -> bool:
        return self.tested_at is not None and self.tested_at >= self.changed_at

    @property
    def user_id_prefix(self) -> str:
        """The start of the Auth0 user id of everyone who signs in through it: ``samlp|<name>|`` (or ``oidc|``)."""
        return f"{self.strategy}|{self.name}|"
