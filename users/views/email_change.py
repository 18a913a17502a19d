"""Changing a user's email address, from the user's page: a form, a confirmation, then the queued
operation. Every rule is ``users.acts.email_change``'s; a refusal is shown beside the field, with what was
typed kept.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from organizations.access.guardrails import PersonAct
from portal.web.followed import operation_follow
from portal.web.forms import form_errors_add
from portal.web.refusals import refusal_message
from users.acts.email_change import user_database_connection_check, user_email_change_check, user_email_change_request
from users.acts.rules import user_rights_check
from users.views.forms import UserEmailChangeForm
from users.views.support import admin_target_get


@login_required
@require_http_methods(["GET", "POST"])
def user_email_change(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    """GET: the form. POST: the confirmation (or the form again, with its error); POST with ``confirm``: queue
    the change and return to the user's page; POST with ``back``: the form, as it was typed."""
    principal, organization, person = admin_target_get(request, slug, user_id)
    detail_url = reverse("user_detail", kwargs={"slug": organization.slug, "user_id": person.user_id})
    context: dict[str, Any] = {"organization": organization, "person": person, "detail_url": detail_url}
    try:
        user_rights_check(principal, organization, person, PersonAct.EMAIL_CHANGE)
        user_database_connection_check(person)
    except (ValidationError, PermissionDenied) as exc:
        return render(request, "users/email_change.html", {**context, "refusal": refusal_message(exc)},
                      status=403 if isinstance(exc, PermissionDenied) else 200)
    form = UserEmailChangeForm(request.POST if request.method == "POST" else None)
    context["form"] = form
    if request.method == "GET" or "back" in request.POST or not form.is_valid():
        return render(request, "users/email_change.html", context, status=400 if form.errors else 200)
    email = form.cleaned_data["email"]
    try:
        if "confirm" in request.POST:
            operation = user_email_change_request(actor=principal, organization=organization,
                                                  user_id=person.user_id, email=email)
            operation_follow(request, operation)
            return redirect(detail_url)
        _person, new = user_email_change_check(actor=principal, organization=organization, user_id=person.user_id,
                                               email=email)
    except ValidationError as exc:
        form_errors_add(form, exc)
        return render(request, "users/email_change.html", context, status=400)
    except PermissionDenied as exc:
        return render(request, "users/email_change.html", {**context, "refusal": str(exc)}, status=403)
    return render(request, "users/email_change.html", {**context, "new_email": new})
