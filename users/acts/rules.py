"""The rules every act on a person shares, in one place: who may act on whom (both halves of an act check
it), the actor and the person as they are when a task runs, the set-password ticket that invitations,
change-password emails and the profile send, and the portal's own verification email."""

from __future__ import annotations

from typing import Literal

from django.http import Http404
from django.utils.translation import gettext

from auth0_gateway import Auth0Gateway
from organizations.access.authorization import require_org_admin
from organizations.access.guardrails import PersonAct, person_act_check
from organizations.models import Organization
from organizations.selectors import principal_for_user_id
from portal.faults import PermanentFault
from portal.models import Operation
from portal.principal import Principal
from portal.web.ticket_return import EMAIL_CONFIRMED, PASSWORD_SET
from users.acts.emails import email_brand, email_translation, organization_email_send, organization_signin_url
from users.directory.selectors import user_get
from users.models import DirectoryUser


def operation_actor_load(operation: Operation) -> Principal:
    """The admin who asked for ``operation``, with their roles as they are now, not as they were when they
    asked: a task checks the actor's rights again before it changes anything (PermissionDenied if they
    are no longer an admin of the operation's organization)."""
    actor = principal_for_user_id(operation.actor_user_id, operation.actor_display)
    require_org_admin(actor, operation.organization)
    return actor


def user_rights_check(actor: Principal, organization: Organization, person: DirectoryUser,
                      act: PersonAct = PersonAct.KEEPS_ACCESS) -> None:
    """Who may act on ``person``, and how: the organization's admins, never on a company admin unless they
    are one, within the guardrails (``organizations.access.guardrails``: nobody locks themselves out, the last admin
    stays). Every act on a user (here, ``users.acts.metadata``, ``users.acts.email_change``,
    ``users.acts.removal``) checks it in both halves."""
    person_act_check(actor, organization, user_id=person.user_id, name=person.display_name, act=act)


def operation_subject_load(operation: Operation, act: PersonAct = PersonAct.KEEPS_ACCESS
                           ) -> tuple[Principal, DirectoryUser]:
    """The task's half of any act on a user: the actor with their roles as they are now, and the user as
    the directory has them now, if the actor may still act on them (:func:`user_rights_check`)."""
    organization: Organization = operation.organization
    actor = operation_actor_load(operation)
    try:
        person = user_get(principal=actor, organization=organization, user_id=operation.target)
    except Http404:
        raise PermanentFault(f"{operation.payload.get('email') or operation.target} is no longer a user of "
                             f"{organization.display_name}.") from None
    user_rights_check(actor, organization, person, act)
    return actor, person


def password_ticket_create(auth0: Auth0Gateway, organization: Organization | None, *, user_id: str,
                           mark_email_as_verified: bool = False) -> str:
    """A password-change ticket that leads back to the organization's sign-in page and lasts as long as the
    organization's links do (an invitation's, a change-password email's); for a person in no organization,
    the portal's sign-in page and its own link lifetime."""
    return auth0.password_change_ticket_create(
        user_id=user_id, result_url=organization_signin_url(organization, PASSWORD_SET),
        ttl_sec=email_brand(organization).invite_link_lifetime_days * 86400,
        mark_email_as_verified=True if mark_email_as_verified else None,
    )


# Why a verification email is sent, which its first sentence says: an admin asked for it again, the person
# asked on their profile, or their address was just changed to the one it goes to.
VerificationReason = Literal["admin", "self", "changed"]


def verification_email_send(auth0: Auth0Gateway, organization: Organization | None, *, user_id: str, email: str,
                            name: str, reason: VerificationReason, asked_by: str = "") -> None:
    """Send ``email`` the portal's own email with a link that confirms the address (an Auth0 email-verification
    ticket, leading back to the organization's sign-in page and lasting as long as its other links do), in the
    organization's branding and the person's language. Auth0's own verification email is never asked for: its
    template is neither the organization's nor in the person's language."""
    link = auth0.email_verification_ticket_create(
        user_id=user_id, result_url=organization_signin_url(organization, EMAIL_CONFIRMED),
        ttl_sec=email_brand(organization).invite_link_lifetime_days * 86400,
    )
    with email_translation(organization, user_id):
        if organization is not None:
            subject = gettext("Confirm your email address for %(organization)s") % {
                "organization": organization.display_name}
        else:
            subject = gettext("Confirm your email address")
        organization_email_send(organization, to=email, template="users/email/verify_email", subject=subject,
                                context={"name": name, "link": link, "reason": reason, "asked_by": asked_by,
                                         "link_label": gettext("Confirm my email address")})
