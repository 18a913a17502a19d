"""Pending invitations (people the portal invited who never signed in): resending and revoking them.

Each is one act in two halves, as every operation is: the request (what a view calls: the invitation
must be one of the organization's pending ones that the actor may see, the actor one of its admins and
the guardrails of ``organizations.access.guardrails`` kept) and the apply (what the task calls: the same again
against Auth0's copy of the user, who may have signed in meanwhile).

Resend: a new set-password ticket in the invitation email, as the invitation sent it
(``users.acts.invite.invitation_set_password_send``); its link lasts the organization's link lifetime
from now, which the pending list shows.

Revoke: an account the invitation created, never used, that belongs to no other organization is
deleted, and so is every pending user of an isolated organization (its connection is theirs alone); a
person who has other organizations, or had an account before the invitation, keeps it and only leaves
this organization (``users.acts.removal``). A retry after Auth0 answered finds the account gone (done) or
out of the organization already (done again, harmlessly).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext

from app_roles.acts import organization_grants_end
from auth0_gateway import Auth0Gateway, Auth0NotFound, Auth0User, gateway
from organizations.access.guardrails import PersonAct, person_act_check
from organizations.membership import membership_of
from organizations.models import Organization
from organizations.roles import user_roles_end
from portal.audit import audit_record
from portal.faults import PermanentFault
from portal.models import Operation, OperationKind
from portal.operations import operation_create, operation_enqueue_on_commit
from portal.principal import Principal
from portal.web.refusals import refusal_of
from users.acts.invite import invitation_set_password_send
from users.acts.removal import account_delete, membership_end
from users.acts.rules import operation_actor_load
from users.directory.mirror import auth0_time
from users.directory.selectors import invitation_pending_list, invitations_sent, user_get
from users.models import DirectoryUser

# Auth0 stamps the account's creation with its own clock, the portal the invitation with its: an account
# created this long before the invitation was recorded still counts as the invitation's.
CLOCK_SKEW = dt.timedelta(minutes=1)


def invitation_pending_get(*, actor: Principal, organization: Organization, user_id: str) -> DirectoryUser:
    """The invited user, if their invitation is pending: a 404 for a user the actor may not see in the
    organization, a ValidationError for one who is not (or no longer) waiting on an invitation."""
    person = user_get(principal=actor, organization=organization, user_id=user_id)
    if not invitation_pending_list(principal=actor, organization=organization).filter(user=person).exists():
        raise ValidationError(gettext("%(name)s has no pending invitation: they have signed in already, or were not "
                                      "invited through the portal.") % {"name": person.display_name})
    return person


def _under_way_message(kind: str) -> str:
    """The refusal of a second resend or revocation while the first is under way."""
    if kind == OperationKind.USER_INVITE_RESEND:
        return gettext("Already under way (resend an invitation for %(name)s): its outcome shows on the pending "
                       "invitations page.")
    return gettext("Already under way (revoke an invitation for %(name)s): its outcome shows on the pending "
                   "invitations page.")


def _record(actor: Principal, organization: Organization, person: DirectoryUser, kind: str, summary: str
            ) -> Operation:
    with transaction.atomic():
        on_its_way = Operation.objects.select_for_update().filter(
            kind=kind, organization=organization, target=person.user_id,
            status__in=[Operation.Status.PENDING, Operation.Status.RUNNING])
        if on_its_way.exists():
            raise ValidationError(_under_way_message(kind) % {"name": person.display_name})
        operation = operation_create(kind=kind, actor=actor, organization=organization, target=person.user_id,
                                     payload={"user_id": person.user_id, "email": person.email,
                                              "name": person.display_name})
        audit_record(actor=actor, action=f"{kind}.requested", organization=organization, target_type="user",
                     target_id=person.user_id, summary=summary, operation=operation)
        operation_enqueue_on_commit(operation)
    return operation


def _resend_check(actor: Principal, organization: Organization, user_id: str) -> DirectoryUser:
    person = invitation_pending_get(actor=actor, organization=organization, user_id=user_id)
    # A set-password link is a credential: only for someone this organization governs alone.
    person_act_check(actor, organization, user_id=person.user_id, name=person.display_name, act=PersonAct.ACCOUNT)
    if not person.email:
        raise ValidationError(gettext("%(name)s has no email address to send the invitation to.") % {
            "name": person.display_name})
    return person


def _revoke_check(actor: Principal, organization: Organization, user_id: str) -> DirectoryUser:
    person = invitation_pending_get(actor=actor, organization=organization, user_id=user_id)
    # At least they leave the organization; the apply checks deletion when that is what revoking means.
    person_act_check(actor, organization, user_id=person.user_id, name=person.display_name, act=PersonAct.REMOVE)
    return person


def invitation_resend_refusal(actor: Principal, organization: Organization, person: DirectoryUser) -> str:
    """Why ``actor`` may not resend ``person``'s invitation ("" if they may)."""
    return refusal_of(lambda: _resend_check(actor, organization, person.user_id))


def invitation_revoke_refusal(actor: Principal, organization: Organization, person: DirectoryUser) -> str:
    """Why ``actor`` may not revoke ``person``'s invitation ("" if they may)."""
    return refusal_of(lambda: _revoke_check(actor, organization, person.user_id))


def invitation_resend_request(*, actor: Principal, organization: Organization, user_id: str) -> Operation:
    person = _resend_check(actor, organization, user_id)
    return _record(actor, organization, person, OperationKind.USER_INVITE_RESEND,
                   f"Resent the invitation to {person.email}")


def invitation_revoke_request(*, actor: Principal, organization: Organization, user_id: str) -> Operation:
    person = _revoke_check(actor, organization, user_id)
    return _record(actor, organization, person, OperationKind.USER_INVITE_REVOKE,
                   f"Revoked the invitation of {person.email or person.display_name}")


def _unused(user: Auth0User, who: str) -> None:
    if user.get("logins_count"):
        raise PermanentFault(f"{who} has signed in since the invitation was sent: the invitation was accepted. "
                             "Act on them from their user page instead.")


def invitation_resend_apply(operation: Operation) -> dict:
    organization: Organization = operation.organization
    actor = operation_actor_load(operation)
    who = operation.payload.get("email") or operation.target
    try:
        person = user_get(principal=actor, organization=organization, user_id=operation.target)
    except Http404:
        raise PermanentFault(f"{who} is no longer a user of {organization.display_name}.") from None
    person_act_check(actor, organization, user_id=person.user_id, name=person.display_name, act=PersonAct.ACCOUNT)
    auth0 = gateway()
    try:
        user = auth0.user_get(user_id=person.user_id)
    except Auth0NotFound:
        raise PermanentFault(f"{who} no longer has an account: invite them again.") from None
    _unused(user, who)
    email = user.get("email") or person.email
    if not email:
        raise PermanentFault(f"{who} has no email address to send the invitation to.")
    invitation_set_password_send(auth0, organization, user_id=person.user_id, email=email,
                                 name=person.name if person.name != email else "", inviter=operation.actor_display)
    return {"user_id": person.user_id}


def _account_is_the_invitations(auth0: Auth0Gateway, organization: Organization, actor: Principal,
                                user: Auth0User) -> bool:
    """Whether revoking may delete the account: always in an isolated organization; elsewhere only an
    account the invitation created (none older) that belongs to no other organization, by Auth0's data."""
    membership = membership_of(organization)
    if membership.by_own_connection:
        return True
    others = membership.other_organizations(auth0, user)
    if others:
        return False
    first = (invitations_sent(principal=actor, organization=organization)
             .filter(kind=OperationKind.USER_INVITE, invited_user_id=user["user_id"]).order_by("created_at").first())
    created = auth0_time(user.get("created_at"))
    return first is not None and created is not None and created >= first.created_at - CLOCK_SKEW


def invitation_revoke_apply(operation: Operation) -> dict:
    organization: Organization = operation.organization
    actor = operation_actor_load(operation)
    user_id, who = operation.target, operation.payload.get("email") or operation.target
    name = operation.payload.get("name", "")
    person_act_check(actor, organization, user_id=user_id, name=name, act=PersonAct.REMOVE)
    auth0 = gateway()
    try:
        user = auth0.user_get(user_id=user_id)
    except Auth0NotFound:
        # Gone already (an earlier run deleted the account and was cut off): the directory follows.
        account_delete(auth0, user_id, actor=actor, operation=operation)
        return {"outcome": "deleted"}
    _unused(user, who)
    if _account_is_the_invitations(auth0, organization, actor, user):
        person_act_check(actor, organization, user_id=user_id, name=name, act=PersonAct.DELETE)
        account_delete(auth0, user_id, actor=actor, operation=operation)
        return {"outcome": "deleted"}
    membership_end(auth0, organization, user_id)
    user_roles_end(actor=actor, user_id=user_id, organization=organization, operation=operation)
    return {"outcome": "removed", "app_roles_ended": organization_grants_end(auth0, organization, user_id)}
