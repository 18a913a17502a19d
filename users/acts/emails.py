"""The emails the portal sends on an organization's behalf, in HTML and text, with its branding (or the
portal's own, for a person who belongs to no organization)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from organizations.models import Organization
from organizations.validation import contrast_text_colour
from portal.models import User
from portal.web.context_processors import PRODUCT_NAME
from portal.web.language import language_supported, person_language


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


def email_language(organization: Organization | None, recipient_user_id: str = "") -> str:
    """The language an email to a person is written in: theirs (their choice, kept by the portal if they ever
    signed in), else the sending organization's default, else their own organization's, else the portal's. Never
    the sender's: an admin in Lyon writes to a person in Hamburg in German when Hamburg's organization reads it."""
    chosen = ""
    if recipient_user_id:
        chosen = User.objects.filter(auth0_user_id=recipient_user_id).values_list("language", flat=True).first() or ""
    if language_supported(chosen):
        return chosen
    if organization is not None and language_supported(organization.default_language):
        return organization.default_language
    return person_language(recipient_user_id) or settings.LANGUAGE_CODE


def organization_email_send(organization: Organization | None, *, to: str, subject: str, template: str,
                            context: dict[str, Any], subject_params: dict[str, Any] | None = None,
                            recipient_user_id: str = "") -> None:
    """Render ``<template>.txt`` and ``<template>.html`` with the organization's branding and send them, in the
    recipient's language (``email_language``). ``subject`` is the English text, marked with ``gettext_noop`` by the
    caller and translated here, then filled with ``subject_params``."""
    brand = email_brand(organization)
    context = {
        **context, "organization": brand, "lifetime_days": brand.invite_link_lifetime_days,
        "logo_url": (settings.PORTAL_BASE_URL + reverse("organization_logo", args=[organization.slug])
                     if organization is not None and organization.logo_content_type else ""),
    }
    language = email_language(organization, recipient_user_id)
    with translation.override(language):
        context["language"] = language
        translated = gettext(subject)
        message = EmailMultiAlternatives(subject=translated % subject_params if subject_params else translated,
                                         body=render_to_string(f"{template}.txt", context), to=[to])
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        message.extra_headers["Content-Language"] = language
    message.send()
