"""An email domain an organization proved it holds by publishing a DNS TXT record (docs/enterprise-sso.md)."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The database refuses a second organization's verified (or still counted as verified) claim on one domain.
ONE_VERIFIED_OWNER = "domain_one_verified_owner"
# Where the record is published, and what it says: ``<RECORD_PREFIX>.<domain>  TXT  "<RECORD_VALUE_PREFIX><token>"``.
RECORD_PREFIX = "_portal-verification"
RECORD_VALUE_PREFIX = "portal-domain-verification="


def token_new() -> str:
    return secrets.token_hex(16)


class Domain(models.Model):
    """A domain an organization's admin added; verified once its TXT record is seen, re-checked periodically."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the DNS record")
        VERIFIED = "verified", pgettext_lazy("state of a domain", "Verified")
        # Verified, but the record was missing at the last check: still counted as verified for the grace period.
        FAILING = "failing", _("Verified, record missing")

    VERIFIED_STATUSES = (Status.VERIFIED, Status.FAILING)

    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE,
                                     related_name="verified_domains")
    name = models.CharField(max_length=253)
    token = models.CharField(max_length=64, default=token_new, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    verified_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    # When the record was first found missing on a verified domain (the grace period runs from here).
    missing_since = models.DateTimeField(null=True, blank=True)
    # What the last check found, in words for the organization's admin.
    check_message = models.CharField(max_length=500, blank=True)
    check_requested_at = models.DateTimeField(null=True, blank=True)
    added_by = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "organization", name="domain_once_per_organization"),
            models.UniqueConstraint(Lower("name"), name=ONE_VERIFIED_OWNER,
                                    condition=models.Q(status__in=["verified", "failing"])),
        ]
        indexes = [models.Index(fields=["status", "checked_at"], name="domain_recheck")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.status in self.VERIFIED_STATUSES

    @property
    def record_name(self) -> str:
        return f"{RECORD_PREFIX}.{self.name}"

    @property
    def record_value(self) -> str:
        return f"{RECORD_VALUE_PREFIX}{self.token}"
