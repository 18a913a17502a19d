"""The acts on a person's account offered on their page (``users.acts.account``): a page that says what the
act does, or why it cannot be done, then queues it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from organizations.selectors import organization_get
from portal.principal import principal_from_request
from portal.web.followed import operation_follow
from portal.web.refusals import refusal_message, refusal_of
from users.acts.account import USER_ACTIONS, user_action_check, user_action_for, user_action_request
from users.directory import selectors


@login_required
@require_http_methods(["GET", "POST"])
def user_action(request: HttpRequest, slug: str, user_id: str, action: str) -> HttpResponse:
    """GET asks for confirmation, saying what the act does; POST queues it and returns to the user's page."""
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    person = selectors.user_get(principal=principal, organization=organization, user_id=user_id)
    chosen = USER_ACTIONS.get(action)
    if chosen is None:
        raise Http404("No such action.")
    if not principal.can_admin(organization.pk):
        raise PermissionDenied
    chosen = user_action_for(principal, organization, person, chosen)
    # Why it cannot be done, said before anything is pressed (and again if it became so since).
    error = refusal_of(lambda: user_action_check(principal, organization, person, chosen))
    if request.method == "POST" and not error:
        try:
            operation = user_action_request(actor=principal, organization=organization, user_id=person.user_id,
                                            action=chosen)
        except (ValidationError, PermissionDenied) as exc:
            error = refusal_message(exc)
        else:
            operation_follow(request, operation)
            return redirect("user_detail", slug=organization.slug, user_id=person.user_id)
    return render(request, "users/action_confirm.html", {
        "organization": organization, "person": person, "action": chosen, "error": error,
        "detail_url": reverse("user_detail", kwargs={"slug": organization.slug, "user_id": person.user_id}),
    }, status=400 if error and request.method == "POST" else 200)
