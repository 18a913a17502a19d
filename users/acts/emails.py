"""The emails the portal sends on an organization's behalf, in HTML and text, with its branding (or the
portal's own, for a person who belongs to no organization)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

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


def organization_signin_url(organization: Organization | None, done: str = "") -> str:
    """The organization's own sign-in page, absolute: where an email's link leads back to (the portal's sign-in
    page for a person in no organization); ``done`` says what the link did (``portal.web.ticket_return``), which
    the page tells the person when they arrive."""
    if organization is None:
        url = settings.PORTAL_BASE_URL + reverse("signin")
    else:
        url = settings.PORTAL_BASE_URL + reverse("organization_signin", args=[organization.slug])
    return f"{url}?{urlencode({'done': done})}" if done else url


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


@contextmanager
def email_translation(organization: Organization | None, recipient_user_id: str = "") -> Iterator[str]:
    """Within this block, gettext and the templates write in the recipient's language (``email_language``): the
    caller builds an email's subject and words here, and sends it with ``organization_email_send``."""
    language = email_language(organization, recipient_user_id)
    with translation.override(language):
        yield language


def organization_email_send(organization: Organization | None, *, to: str, subject: str, template: str,
                            context: dict[str, Any]) -> None:
    """Render ``<template>.txt`` and ``<template>.html`` with the organization's branding and send them, in the
    language active (the recipient's, inside ``email_translation``)."""
    brand = email_brand(organization)
    language = translation.get_language() or settings.LANGUAGE_CODE
    context = {
        **context, "organization": brand, "lifetime_days": brand.invite_link_lifetime_days, "language": language,
        "logo_url": (settings.PORTAL_BASE_URL + reverse("organization_logo", args=[organization.slug])
                     if organization is not None and organization.logo_content_type else ""),
    }
    message = EmailMultiAlternatives(subject=subject, body=render_to_string(f"{template}.txt", context), to=[to],
                                     headers={"Content-Language": language})
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()
