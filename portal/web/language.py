"""Which language a request is answered in, and an email written in.

A person's own choice (their profile, ``User.language``) comes first; else the default language of their
organization (``Organization.default_language``, set by its admins), found by the function
``PORTAL_ORGANIZATION_LANGUAGE_LOADER`` names (organizations and memberships are kept by the apps above this base);
for someone not signed in on an organization's own public page (its sign-in page, where its invitations lead), that
organization's (``PORTAL_PUBLIC_PAGE_LANGUAGE_LOADER``); else the browser's ``Accept-Language``, as Django's
LocaleMiddleware reads it. A machine client of the REST API
has no person behind it: ``Accept-Language`` decides its error messages.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string


def language_supported(code: str) -> bool:
    return code in {language for language, _ in settings.LANGUAGES}


@functools.cache
def _organization_language_loader(path: str) -> Callable[[str], str]:
    return import_string(path)


def person_language(user_id: str, chosen: str = "") -> str:
    """The language of a person known by their Auth0 id: their choice, else their organization's default; ""
    when neither (the browser's, or for an email the portal's, applies)."""
    if language_supported(chosen):
        return chosen
    if not user_id:
        return ""
    found = _organization_language_loader(settings.PORTAL_ORGANIZATION_LANGUAGE_LOADER)(user_id)
    return found if language_supported(found) else ""


def request_language(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        language = person_language(user.auth0_user_id, user.language)
        if language:
            return language
    return translation.get_language_from_request(request)


class LanguageMiddleware:
    """Django's LocaleMiddleware for a portal whose URLs carry no language: the person's, their organization's or
    the browser's language, active for the request, said in ``Content-Language``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
        finally:
            translation.deactivate()
        # The same URL answers in another language for another person or browser: no shared cache may mix them.
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)  # type: ignore[attr-defined]
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        """An organization's public page, for someone not signed in: in the organization's language if it has one."""
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or "slug" not in view_kwargs:
            return None
        if getattr(view_func, "organization_public_page", False):
            language = _organization_language_loader(settings.PORTAL_PUBLIC_PAGE_LANGUAGE_LOADER)(view_kwargs["slug"])
            if language_supported(language):
                translation.activate(language)
                request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        return None


def organization_public_page(view):
    """Marks a view of an organization's public page (``<slug>`` in its URL): people not signed in read it in the
    organization's default language (``LanguageMiddleware.process_view``)."""
    view.organization_public_page = True
    return view
