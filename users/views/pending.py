"""The pending invitations page (people the portal invited who never signed in, with when each link
expires) and its two acts, resend and revoke, each behind a page that says what it does. Admins and
viewers see the list; only admins act. Thin views: the rules are ``users.acts.pending``'s."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from organizations.membership import membership_of
from organizations.selectors import operation_list, organization_get
from portal.models import Operation, OperationKind
from portal.principal import principal_from_request
from portal.web.followed import operations_followed
from users.acts.pending import (
    invitation_resend_refusal,
    invitation_resend_request,
    invitation_revoke_refusal,
    invitation_revoke_request,
)
from users.directory import selectors
from users.models import DirectoryUser
from users.views.support import act_confirm

INVITATIONS_PER_PAGE = 50


@dataclass(frozen=True)
class PendingRow:
    user: DirectoryUser
    sent_at: dt.datetime
    sent_by: str
    expires_at: dt.datetime
    expired: bool


@login_required
@require_GET
def invitation_list(request: HttpRequest, slug: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    pending = selectors.invitation_pending_list(principal=principal, organization=organization)
    page = Paginator(pending, INVITATIONS_PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = []
    for membership in page.object_list:
        expires_at = selectors.invitation_expires_at(organization, membership.sent_at)
        rows.append(PendingRow(user=membership.user, sent_at=membership.sent_at, sent_by=membership.sent_by,
                               expires_at=expires_at, expired=expires_at <= now))
    return render(request, "users/invitations.html", {
        "organization": organization, "page": page, "rows": rows,
        "can_admin": principal.can_admin(organization.pk),
        # People with an account already, invited to join: members only once they accept (users.acts.join).
        "join_invitations": selectors.join_invitation_list(principal=principal, organization=organization)[
            :INVITATIONS_PER_PAGE],
        "now": now,
        # Resends and revocations this browser asked for: shown until their outcome has been seen once.
        "followed": operations_followed(request, operation_list(principal=principal, organization=organization)
                                        .filter(kind__in=[OperationKind.USER_INVITE_RESEND,
                                                          OperationKind.USER_INVITE_REVOKE,
                                                          OperationKind.USER_JOIN_RESEND])),
    })


@dataclass(frozen=True)
class InvitationAct:
    slug: str
    button: str
    refusal: Callable[..., str]
    request: Callable[..., Operation]


_ACTS = {
    "resend": InvitationAct("resend", _("Resend the invitation"), invitation_resend_refusal,
                            invitation_resend_request),
    "revoke": InvitationAct("revoke", _("Revoke the invitation"), invitation_revoke_refusal,
                            invitation_revoke_request),
}


def _confirm(request: HttpRequest, slug: str, user_id: str, act: InvitationAct) -> HttpResponse:
    """GET says what the act does (or why it cannot be done); POST queues it and returns to the list."""
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    person = selectors.user_get(principal=principal, organization=organization, user_id=user_id)
    if not principal.can_admin(organization.pk):
        raise PermissionDenied
    return act_confirm(
        request, template="users/invitation_confirm.html",
        context={"organization": organization, "person": person, "act": act,
                 "isolated": membership_of(organization).by_own_connection},
        refusal=act.refusal(principal, organization, person),
        perform=lambda: act.request(actor=principal, organization=organization, user_id=person.user_id),
        done=lambda _operation: reverse("invitation_list", kwargs={"slug": organization.slug}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def invitation_resend(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    return _confirm(request, slug, user_id, _ACTS["resend"])


@login_required
@require_http_methods(["GET", "POST"])
def invitation_revoke(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    return _confirm(request, slug, user_id, _ACTS["revoke"])
