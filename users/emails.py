"""The emails the portal sends on an organization's behalf, in HTML and text, with its branding."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from organizations.models import Organization


def organization_signin_url(organization: Organization) -> str:
    """The organization's own sign-in page, absolute: where an email's link leads back to."""
    return settings.PORTAL_BASE_URL + reverse("organization_signin", args=[organization.slug])


def organization_email_send(organization: Organization, *, to: str, subject: str, template: str,
                            context: dict[str, Any]) -> None:
    """Render ``<template>.txt`` and ``<template>.html`` with the organization's branding and send them."""
    context = {
        **context, "organization": organization, "lifetime_days": organization.invite_link_lifetime_days,
        "logo_url": (settings.PORTAL_BASE_URL + reverse("organization_logo", args=[organization.slug])
                     if organization.logo_content_type else ""),
    }
    message = EmailMultiAlternatives(subject=subject, body=render_to_string(f"{template}.txt", context), to=[to])
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()
