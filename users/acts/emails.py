"""The emails the portal sends on an organization's behalf, in HTML and text, with its branding (or the
portal's own, for a person who belongs to no organization)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from organizations.models import Organization
from organizations.validation import contrast_text_colour
from portal.web.context_processors import PRODUCT_NAME


@dataclass(frozen=True)
class PortalBrand:
    """What stands for an organization in an email when none sends it: the portal's own name and colour."""

    display_name: str = PRODUCT_NAME
    accent_colour: str = "#3b5bdb"
    # How long the links of such emails (a change-password ticket) work.
    invite_link_lifetime_days: int = 7
    logo_content_type: str = ""

    @property
    def accent_text_colour(self) -> str:
        return contrast_text_colour(self.accent_colour)


def email_brand(organization: Organization | None) -> Organization | PortalBrand:
    return organization if organization is not None else PortalBrand()


def organization_signin_url(organization: Organization | None) -> str:
    """The organization's own sign-in page, absolute: where an email's link leads back to (the portal's sign-in
    page for a person in no organization)."""
    if organization is None:
        return settings.PORTAL_BASE_URL + reverse("signin")
    return settings.PORTAL_BASE_URL + reverse("organization_signin", args=[organization.slug])


def organization_email_send(organization: Organization | None, *, to: str, subject: str, template: str,
                            context: dict[str, Any]) -> None:
    """Render ``<template>.txt`` and ``<template>.html`` with the organization's branding and send them."""
    brand = email_brand(organization)
    context = {
        **context, "organization": brand, "lifetime_days": brand.invite_link_lifetime_days,
        "logo_url": (settings.PORTAL_BASE_URL + reverse("organization_logo", args=[organization.slug])
                     if organization is not None and organization.logo_content_type else ""),
    }
    message = EmailMultiAlternatives(subject=subject, body=render_to_string(f"{template}.txt", context), to=[to])
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()
