"""Pages that take a user out: remove from the organization, and delete (confirmed by typing the user's
email). Each says what it does and, before anything is pressed, why it cannot be done when it cannot; the
request is queued as an operation whose page follows it (the user leaves the organization's list once
it has run). Thin views: the rules are ``users.acts.removal``'s."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from organizations.models import Organization
from portal.principal import Principal
from portal.web.followed import operation_follow
from portal.web.forms import form_errors_add
from portal.web.refusals import refusal_message
from users.acts.removal import (
    delete_confirmation_text,
    user_delete_permitted,
    user_delete_refusal,
    user_delete_request,
    user_remove_offered,
    user_remove_refusal,
    user_remove_request,
)
from users.models import DirectoryUser
from users.views.forms import UserDeleteForm
from users.views.support import act_confirm, admin_target_get


def removals_offered(principal: Principal, organization: Organization | None, person: DirectoryUser) -> dict:
    """What the user's page offers (its context): removal where the mode has it, deletion to whoever may
    delete; neither to the person themselves nor to viewers."""
    if organization is None or not principal.can_admin(organization.pk) or person.user_id == principal.user_id:
        return {"can_remove": False, "can_delete": False}
    return {"can_remove": user_remove_offered(organization),
            "can_delete": user_delete_permitted(principal, organization)}


@login_required
@require_http_methods(["GET", "POST"])
def user_remove(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    """GET says what removing does (or why it cannot be done); POST queues it and follows the operation."""
    principal, organization, person = admin_target_get(request, slug, user_id)
    return act_confirm(
        request, template="users/removal_confirm.html",
        context={"organization": organization, "person": person, "deleting": False,
                 "detail_url": reverse("user_detail", kwargs={"slug": organization.slug, "user_id": person.user_id})},
        refusal=user_remove_refusal(principal, organization, person),
        perform=lambda: user_remove_request(actor=principal, organization=organization, user_id=person.user_id),
        done=lambda operation: reverse("operation_detail",
                                       kwargs={"slug": organization.slug, "operation_id": operation.pk}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_delete(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    """GET asks for the user's email, typed; POST checks it (a wrong one is refused beside the field, the
    text kept) and queues the deletion."""
    principal, organization, person = admin_target_get(request, slug, user_id)
    refusal = user_delete_refusal(principal, organization, person)
    expected = delete_confirmation_text(person)
    form = UserDeleteForm(request.POST if request.method == "POST" else None, by_email=bool(person.email))
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            operation = user_delete_request(actor=principal, organization=organization, user_id=person.user_id,
                                            confirmation=form.cleaned_data["confirmation"])
        except ValidationError as exc:
            form_errors_add(form, exc)
        except PermissionDenied as exc:
            refusal = refusal_message(exc)
        else:
            operation_follow(request, operation)
            return redirect("operation_detail", slug=organization.slug, operation_id=operation.pk)
    failed = request.method == "POST" and bool(refusal or form.errors)
    return render(request, "users/removal_confirm.html", {
        "organization": organization, "person": person, "refusal": refusal, "deleting": True, "form": form,
        "expected": expected,
        "detail_url": reverse("user_detail", kwargs={"slug": organization.slug, "user_id": person.user_id}),
    }, status=400 if failed else 200)
