"""Editing a user's metadata through the organization's schema, from the user's page: a form, then a page
that shows exactly what will change and asks for confirmation, then the queued operation, which the user's
page follows. Every rule is ``users.acts.metadata``'s; a refusal is shown beside the field it concerns,
with what was typed kept.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from portal.web.followed import operation_follow
from portal.web.forms import form_errors_add
from users.acts.metadata import metadata_field_name, user_metadata_edit_preview, user_metadata_edit_request
from users.acts.rules import user_rights_check
from users.directory import selectors
from users.views.forms import UserMetadataForm
from users.views.support import admin_target_get


def _shown(value: Any) -> str:
    """A metadata value as the review page names it."""
    if value is None or value == "":
        return gettext("Not set")
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    return str(value)


def metadata_review_context(changes: list, form: UserMetadataForm) -> dict[str, Any]:
    """What a metadata edit's review page shows and carries (templates/users/_metadata_review.html): each
    change in words, and the form's fields to post again with the confirmation."""
    return {
        "changes": [{"label": c.label, "before": _shown(c.before), "after": _shown(c.after),
                     "removed": c.after is None} for c in changes],
        "posted": [(name, form.data.get(name, "")) for name in form.fields],
    }


@login_required
@require_http_methods(["GET", "POST"])
def user_metadata_edit(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    """GET: the form. POST: the review of what would change (or the form again, with its errors); POST with
    ``confirm``: queue the edit and return to the user's page; POST with ``back``: the form, as it was typed."""
    principal, organization, person = admin_target_get(request, slug, user_id)
    detail_url = reverse("user_detail", kwargs={"slug": organization.slug, "user_id": person.user_id})
    context: dict[str, Any] = {"organization": organization, "person": person, "detail_url": detail_url}
    try:
        user_rights_check(principal, organization, person)
    except PermissionDenied as exc:
        return render(request, "users/metadata_edit.html", {**context, "refusal": str(exc)}, status=403)
    fields = list(selectors.user_metadata_fields_editable(principal=principal, organization=organization))
    editable = {metadata_field_name(f) for f in fields}
    context["read_only"] = [f for f in selectors.user_metadata_fields(principal=principal, organization=organization)
                            if metadata_field_name(f) not in editable]
    form = UserMetadataForm(request.POST if request.method == "POST" else None, fields=fields, person=person)
    context["form"] = form
    if request.method == "GET" or "back" in request.POST:
        return render(request, "users/metadata_edit.html", context)
    if not form.is_valid():  # only what no value may hold (a NUL character): the rules are the service's
        return render(request, "users/metadata_edit.html", context, status=400)
    values = form.values()
    try:
        if "confirm" in request.POST:
            operation = user_metadata_edit_request(actor=principal, organization=organization,
                                                   user_id=person.user_id, values=values)
            operation_follow(request, operation)
            return redirect(detail_url)
        changes = user_metadata_edit_preview(actor=principal, organization=organization, user_id=person.user_id,
                                             values=values)
    except ValidationError as exc:
        form_errors_add(form, exc)
        return render(request, "users/metadata_edit.html", context, status=400)
    except PermissionDenied as exc:
        return render(request, "users/metadata_edit.html", {**context, "refusal": str(exc)}, status=403)
    return render(request, "users/metadata_review.html", {
        **context,
        **metadata_review_context(changes, form),
    })
