"""Invitations to join an organization, for people who already have an account: they join only when they
accept, signed in as that account.

Why: an account that exists may belong to another organization, to a company admin, or to nobody the
inviting admin governs. Had an admin's invitation alone made it a member of their organization, the admin
would have gained acts on that account (its email, its password email, its MFA) and could have taken it
over. So the invitation (``users.acts.invite``) creates and adds only accounts of its own; for an existing
one it records a :class:`~users.models.JoinInvitation` and emails its owner a link to answer it. Until
they accept, the organization's admins see a pending invitation, not a user.

- The owner answers on ``/invitations/<id>/``, signed in (any other account gets a 404): accepting
  records an operation whose task adds the membership by the organization's mode (and the metadata the
  admin asked for); declining changes nothing in Auth0.
- The organization's admins resend it (a new email, the link's time starting again) or revoke it.
- One pending invitation per organization and account (a partial unique constraint); an invitation
  retried by its operation finds its own.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from app_roles.acts import invitation_app_roles_request
from auth0_gateway import Auth0NotFound, gateway
from organizations.access.authorization import require_org_admin
from organizations.models import Organization
from organizations.selectors import principal_for_user_id
from portal.audit import audit_record
from portal.faults import PermanentFault
from portal.models import Operation, OperationKind
from portal.operations import operation_create, operation_enqueue_on_commit
from portal.principal import Principal
from portal.web.refusals import refusal_message
from users.acts.emails import email_translation, organization_email_send
from users.acts.membership import membership_add
from users.acts.rules import operation_actor_load
from users.directory.selectors import join_invitation_get, profile_join_invitation_get
from users.models import JoinInvitation, OrganizationBlock

_UNFINISHED = (Operation.Status.PENDING, Operation.Status.RUNNING)


def join_invitation_url(invitation: JoinInvitation) -> str:
    """The absolute link the invitation email carries."""
    return settings.PORTAL_BASE_URL + reverse("join_invitation", args=[invitation.pk])


def _expiry(organization: Organization, now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(days=organization.invite_link_lifetime_days)


def join_invitation_email_send(invitation: JoinInvitation, *, inviter: str) -> None:
    organization = invitation.organization
    with email_translation(organization, invitation.user_id):
        if inviter:
            subject = gettext("%(inviter)s invites you to join %(organization)s") % {
                "inviter": inviter, "organization": organization.display_name}
        else:
            subject = gettext("An admin invites you to join %(organization)s") % {
                "organization": organization.display_name}
        organization_email_send(
            organization, to=invitation.email, subject=subject, template="users/email/join_invitation",
            context={"name": invitation.name, "email": invitation.email, "link": join_invitation_url(invitation),
                     "inviter": inviter or gettext("An admin"), "link_label": gettext("Accept or decline"),
                     "expires_at": invitation.expires_at})


def join_invitation_offer(operation: Operation, organization: Organization, *, user_id: str, email: str,
                          name: str, metadata: dict) -> dict:
    """The invitation task's half for an account that exists and is not a member: record (or find, on a
    retry, or when one is pending already) the invitation to join, and email it. Its result does not name
    the account: the inviting admin learns only that the person has to accept."""
    now = timezone.now()
    with transaction.atomic():
        invitation = (JoinInvitation.objects.select_for_update().filter(operation=operation).first()
                      or JoinInvitation.objects.select_for_update().filter(
                          organization=organization, user_id=user_id, status=JoinInvitation.Status.PENDING).first())
        if invitation is not None and invitation.status != JoinInvitation.Status.PENDING:
            # This run's own invitation, answered or revoked since an earlier try: nothing more to send.
            return {"outcome": f"join_{invitation.status}", "invitation_id": str(invitation.pk), "new_user": False}
        if invitation is None:
            invitation = JoinInvitation.objects.create(
                organization=organization, user_id=user_id, email=email, name=name, metadata=metadata,
                invited_by_user_id=operation.actor_user_id, invited_by=operation.actor_display, operation=operation,
                sent_at=now, expires_at=_expiry(organization, now))
        else:
            invitation.sent_at, invitation.expires_at = now, _expiry(organization, now)
            invitation.save(update_fields=["sent_at", "expires_at"])
    join_invitation_email_send(invitation, inviter=operation.actor_display)
    return {"outcome": "awaiting_acceptance", "invitation_id": str(invitation.pk), "new_user": False}


# -- the person's answer ------------------------------------------------------------------------------------
def join_invitation_answer_check(invitation: JoinInvitation, *, now: dt.datetime | None = None) -> None:
    """Whether the invitation can still be answered (ValidationError saying why not)."""
    organization = invitation.organization
    params = {"organization": organization.display_name}
    if invitation.status == JoinInvitation.Status.ACCEPTED:
        raise ValidationError(gettext("You accepted this invitation: you are a member of %(organization)s.") % params)
    if invitation.status == JoinInvitation.Status.DECLINED:
        raise ValidationError(gettext("You declined this invitation. Ask an admin of %(organization)s to invite you "
                                      "again if you changed your mind.") % params)
    if invitation.status == JoinInvitation.Status.REVOKED:
        raise ValidationError(gettext("%(organization)s withdrew this invitation.") % params)
    if invitation.expires_at <= (now or timezone.now()):
        day = date_format(invitation.expires_at, "DATE_FORMAT")
        raise ValidationError(gettext("This invitation expired on %(day)s: ask an admin of %(organization)s to send "
                                      "it again.") % {**params, "day": day})
    if OrganizationBlock.objects.filter(organization=organization, user_id=invitation.user_id).exists():
        raise ValidationError(gettext("%(organization)s has blocked your account: this invitation cannot be "
                                      "accepted.") % params)


def join_invitation_accept_pending(invitation: JoinInvitation) -> Operation | None:
    """The acceptance of ``invitation`` that is under way, if one is."""
    return (Operation.objects.filter(kind=OperationKind.USER_JOIN_ACCEPT, target=invitation.user_id,
                                     payload__invitation_id=str(invitation.pk), status__in=_UNFINISHED)
            .order_by("-created_at").first())


def join_invitation_accept_request(*, principal: Principal, invitation_id) -> Operation:
    """The invited person accepts: an operation adds their membership (404 for anyone else's invitation).
    Asking twice while it runs returns the same operation."""
    invitation = profile_join_invitation_get(principal=principal, invitation_id=invitation_id)
    with transaction.atomic():
        invitation = JoinInvitation.objects.select_for_update().select_related("organization").get(pk=invitation.pk)
        if (under_way := join_invitation_accept_pending(invitation)) is not None:
            return under_way
        join_invitation_answer_check(invitation)
        organization = invitation.organization
        operation = operation_create(kind=OperationKind.USER_JOIN_ACCEPT, actor=principal, organization=organization,
                                     target=invitation.user_id,
                                     payload={"invitation_id": str(invitation.pk), "email": invitation.email,
                                              "name": invitation.display_name})
        audit_record(actor=principal, action="user_join_accept.requested", organization=organization,
                     target_type="user", target_id=invitation.user_id, operation=operation,
                     summary=f"{invitation.display_name} accepted the invitation to join {organization.display_name}")
        operation_enqueue_on_commit(operation)
    return operation


def join_invitation_decline(*, principal: Principal, invitation_id) -> JoinInvitation:
    """The invited person declines: nothing changes in Auth0, and the organization's admins see it gone."""
    invitation = profile_join_invitation_get(principal=principal, invitation_id=invitation_id)
    with transaction.atomic():
        invitation = JoinInvitation.objects.select_for_update().select_related("organization").get(pk=invitation.pk)
        if join_invitation_accept_pending(invitation) is not None:
            raise ValidationError(gettext("Your acceptance is already on its way."))
        if invitation.status != JoinInvitation.Status.DECLINED:
            join_invitation_answer_check(invitation)
            invitation.status, invitation.answered_at = JoinInvitation.Status.DECLINED, timezone.now()
            invitation.save(update_fields=["status", "answered_at"])
            audit_record(actor=principal, action="user_join.declined", organization=invitation.organization,
                         target_type="user", target_id=invitation.user_id,
                         summary=f"{invitation.display_name} declined the invitation to join "
                                 f"{invitation.organization.display_name}")
    return invitation


def join_invitation_accept_apply(operation: Operation) -> dict:
    """The task's half of accepting: the person (the operation's actor) must be the account invited, the
    invitation still open; then the membership by the organization's mode, the metadata the admin asked for,
    and the write-through."""
    invitation = JoinInvitation.objects.select_related("organization", "operation").get(
        pk=operation.payload["invitation_id"])
    organization = invitation.organization
    if invitation.status == JoinInvitation.Status.ACCEPTED:
        return {"joined": True}  # an earlier run finished and was cut off before saying so
    if operation.actor_user_id != invitation.user_id:
        raise PermanentFault("Only the person invited may accept this invitation.")
    try:
        join_invitation_answer_check(invitation)
    except ValidationError as exc:
        raise PermanentFault(refusal_message(exc)) from None
    auth0 = gateway()
    try:
        user = auth0.user_get(user_id=invitation.user_id)
    except Auth0NotFound:
        raise PermanentFault(f"{invitation.email} no longer has an account.") from None
    membership_add(auth0, organization, user, metadata=invitation.metadata)
    if invitation.operation is not None:
        # The application roles the invitation was asked with, under the inviting admin's name (their rights are
        # checked when each runs).
        invitation_app_roles_request(invitation.operation, user_id=invitation.user_id, actor=principal_for_user_id(
            invitation.invited_by_user_id, invitation.invited_by))
    JoinInvitation.objects.filter(pk=invitation.pk).update(status=JoinInvitation.Status.ACCEPTED,
                                                           answered_at=timezone.now())
    return {"joined": True}


# -- the organization's admins -----------------------------------------------------------------------------
def join_invitation_resend_request(*, actor: Principal, organization: Organization, invitation_id) -> Operation:
    """Email the invitation again (its link's time starts again when it goes)."""
    invitation = join_invitation_get(principal=actor, organization=organization, invitation_id=invitation_id)
    require_org_admin(actor, organization)
    with transaction.atomic():
        on_its_way = Operation.objects.select_for_update().filter(
            kind=OperationKind.USER_JOIN_RESEND, organization=organization, target=invitation.user_id,
            status__in=_UNFINISHED)
        if on_its_way.exists():
            raise ValidationError(gettext("The invitation to %(email)s is already being sent again.") % {
                "email": invitation.email})
        operation = operation_create(kind=OperationKind.USER_JOIN_RESEND, actor=actor, organization=organization,
                                     target=invitation.user_id,
                                     payload={"invitation_id": str(invitation.pk), "email": invitation.email,
                                              "name": invitation.display_name})
        audit_record(actor=actor, action="user_join_resend.requested", organization=organization, target_type="user",
                     target_id=invitation.user_id, operation=operation,
                     summary=f"Resent the invitation to join {organization.display_name} to {invitation.email}")
        operation_enqueue_on_commit(operation)
    return operation


def join_invitation_resend_apply(operation: Operation) -> dict:
    organization: Organization = operation.organization
    operation_actor_load(operation)
    now = timezone.now()
    with transaction.atomic():
        invitation = JoinInvitation.objects.select_for_update().filter(
            pk=operation.payload["invitation_id"], organization=organization).first()
        if invitation is None or invitation.status != JoinInvitation.Status.PENDING:
            raise PermanentFault(f"The invitation to {operation.payload.get('email')} was answered or revoked in the "
                                 "meantime.")
        invitation.sent_at, invitation.expires_at = now, _expiry(organization, now)
        invitation.save(update_fields=["sent_at", "expires_at"])
    join_invitation_email_send(invitation, inviter=operation.actor_display)
    return {"invitation_id": str(invitation.pk)}


def join_invitation_revoke(*, actor: Principal, organization: Organization, invitation_id) -> JoinInvitation:
    """Withdraw the invitation: its link then says so. Nothing changes in Auth0 (nothing had)."""
    invitation = join_invitation_get(principal=actor, organization=organization, invitation_id=invitation_id)
    require_org_admin(actor, organization)
    with transaction.atomic():
        invitation = JoinInvitation.objects.select_for_update().get(pk=invitation.pk)
        if join_invitation_accept_pending(invitation) is not None:
            raise ValidationError(gettext("%(email)s has just accepted: their membership is being added.") % {
                "email": invitation.email})
        if invitation.status != JoinInvitation.Status.PENDING:
            raise ValidationError(gettext("The invitation to %(email)s was answered already.") % {
                "email": invitation.email})
        invitation.status, invitation.answered_at = JoinInvitation.Status.REVOKED, timezone.now()
        invitation.save(update_fields=["status", "answered_at"])
        audit_record(actor=actor, action="user_join.revoked", organization=organization, target_type="user",
                     target_id=invitation.user_id,
                     summary=f"Revoked the invitation to join {organization.display_name} sent to {invitation.email}")
    return invitation
