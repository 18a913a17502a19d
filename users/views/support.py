"""What the pages that act on one user of an organization share: loading the person the act is on, and the
confirmation every act's page is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from organizations.models import Organization
from organizations.selectors import organization_get
from portal.models import Operation
from portal.principal import Principal, principal_from_request
from portal.web.followed import operation_follow
from portal.web.refusals import refusal_message
from users.directory import selectors
from users.models import DirectoryUser


def admin_target_get(request: HttpRequest, slug: str, user_id: str) -> tuple[Principal, Organization, DirectoryUser]:
    """Who asks, the organization and its user (404 outside the asker's scope), for the organization's
    admins only (403 for its viewers)."""
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    person = selectors.user_get(principal=principal, organization=organization, user_id=user_id)
    if not principal.can_admin(organization.pk):
        raise PermissionDenied
    return principal, organization, person


def act_confirm(request: HttpRequest, *, template: str, context: dict[str, Any], perform: Callable[[], Any],
                done: Callable[[Any], str], refusal: str = "", refusal_key: str = "refusal") -> HttpResponse:
    """The confirmation every act's page is. GET says what the act does, or why it cannot be done
    (``refusal``, said before anything is pressed). POST does it (``perform``: the act's service) unless
    refused, follows the operation it queued, and goes to ``done(what perform returned)``; a refusal the
    service raises then (the person changed since the page was shown) is shown on the same page, with 400."""
    if request.method == "POST" and not refusal:
        try:
            done_with = perform()
        except (ValidationError, PermissionDenied) as exc:
            refusal = refusal_message(exc)
        else:
            if isinstance(done_with, Operation):
                operation_follow(request, done_with)
            return redirect(done(done_with))
    return render(request, template, {**context, refusal_key: refusal},
                  status=400 if refusal and request.method == "POST" else 200)
