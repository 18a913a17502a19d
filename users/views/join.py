"""Pages of invitations to join (``users.acts.join``).

- ``/invitations/<id>/``: the invited person's answer, signed in as the account invited (any other account,
  or no such invitation, is a 404). Accept queues the membership; decline changes nothing in Auth0.
- ``o/<slug>/users/invitations/join/<id>/resend|revoke/``: the organization's admins act on an invitation to
  join, behind a page that says what the act does.

Thin views: every rule is the services'.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from organizations.selectors import organization_get
from portal.models import Operation
from portal.principal import principal_from_request
from portal.web.followed import operation_follow
from portal.web.refusals import refusal_message, refusal_of
from users.acts.join import (
    join_invitation_accept_pending,
    join_invitation_accept_request,
    join_invitation_answer_check,
    join_invitation_decline,
    join_invitation_resend_request,
)
from users.acts.join import join_invitation_revoke as join_invitation_withdraw
from users.directory import selectors
from users.views.support import act_confirm


# -- the invited person ------------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def join_invitation(request: HttpRequest, invitation_id) -> HttpResponse:
    """GET: who invites them to what, and the two answers. POST ``accept`` or ``decline``."""
    principal = principal_from_request(request)
    invitation = selectors.profile_join_invitation_get(principal=principal, invitation_id=invitation_id)
    refusal = refusal_of(lambda: join_invitation_answer_check(invitation))
    under_way = join_invitation_accept_pending(invitation)
    if request.method == "POST" and not refusal and under_way is None:
        try:
            if "accept" in request.POST:
                operation = join_invitation_accept_request(principal=principal, invitation_id=invitation.pk)
                operation_follow(request, operation)
                return redirect("profile")
            if "decline" in request.POST:
                join_invitation_decline(principal=principal, invitation_id=invitation.pk)
                return redirect("join_invitation", invitation_id=invitation.pk)
            refusal = gettext("Choose Accept or Decline.")
        except (ValidationError, PermissionDenied) as exc:
            refusal = refusal_message(exc)
    return render(request, "users/join_invitation.html", {
        "invitation": invitation, "organization": invitation.organization, "refusal": refusal,
        "under_way": under_way,
    }, status=400 if refusal and request.method == "POST" else 200)


# -- the organization's admins -----------------------------------------------------------------------------
_JOIN_ACTS = {"resend": _("Resend the invitation"), "revoke": _("Revoke the invitation")}


def _join_act(request: HttpRequest, slug: str, invitation_id, act: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    invitation = selectors.join_invitation_get(principal=principal, organization=organization,
                                               invitation_id=invitation_id)
    if not principal.can_admin(organization.pk):
        raise PermissionDenied

    def perform() -> Operation | None:
        if act == "resend":
            return join_invitation_resend_request(actor=principal, organization=organization,
                                                  invitation_id=invitation.pk)
        join_invitation_withdraw(actor=principal, organization=organization, invitation_id=invitation.pk)
        return None

    return act_confirm(
        request, template="users/join_confirm.html",
        context={"organization": organization, "invitation": invitation, "act": act, "button": _JOIN_ACTS[act]},
        perform=perform, done=lambda _operation: reverse("invitation_list", kwargs={"slug": organization.slug}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def join_invitation_resend(request: HttpRequest, slug: str, invitation_id) -> HttpResponse:
    return _join_act(request, slug, invitation_id, "resend")


@login_required
@require_http_methods(["GET", "POST"])
def join_invitation_revoke(request: HttpRequest, slug: str, invitation_id) -> HttpResponse:
    return _join_act(request, slug, invitation_id, "revoke")
