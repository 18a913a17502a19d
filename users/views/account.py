"""The acts on a person's account offered on their page (``users.acts.account``): a page that says what the
act does, or why it cannot be done, then queues it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from organizations.selectors import organization_get
from portal.principal import principal_from_request
from portal.web.refusals import refusal_of
from users.acts.account import USER_ACTIONS, user_action_check, user_action_for, user_action_request
from users.directory import selectors
from users.views.support import act_confirm


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
    detail_url = reverse("user_detail", kwargs={"slug": organization.slug, "user_id": person.user_id})
    return act_confirm(
        request, template="users/action_confirm.html", refusal_key="error",
        context={"organization": organization, "person": person, "action": chosen, "detail_url": detail_url},
        # Why it cannot be done, said before anything is pressed (and again if it became so since).
        refusal=refusal_of(lambda: user_action_check(principal, organization, person, chosen)),
        perform=lambda: user_action_request(actor=principal, organization=organization, user_id=person.user_id,
                                            action=chosen),
        done=lambda _operation: detail_url,
    )
