"""An admin's acts on one user of their organization: block, unblock, clear failed sign-in blocks, send a
change-password email, resend the verification email, reset multi-factor authentication.

Each is one act in two halves, as every operation is: :func:`user_action_request` (what a view calls:
the user must be one the actor may see in that organization, the actor one of its admins, and the
guardrails hold; it records the Operation and its audit event and queues the task) and
:func:`user_action_apply` (what the task calls: the same checks again, against the user as the directory
has them now, then the Management API call and the write-through to the directory).

Guardrails (``organizations.access.guardrails``, shared by every act on a user): nobody blocks themselves (they
would be locked out), only company admins act on company admins, an organization's only admin is not
blocked, and every one of these acts is on the account as a whole, so an organization's admin does them
only to people their organization governs alone. Blocking someone who also belongs elsewhere is a block in
this organization (``users.acts.block_here``), and unblocking them lifts it.

Each act is idempotent in effect (blocking a blocked user changes nothing), so a retry after a lost answer
is harmless; a retried email sends a second email, which a retry must.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from auth0_gateway import Auth0NotFound, gateway
from organizations.access.guardrails import PersonAct, organization_admins_lock
from organizations.models import Organization
from portal.audit import audit_record
from portal.models import Operation, OperationKind
from portal.operations import operation_create, operation_enqueue_on_commit
from portal.principal import Principal
from users.acts.block_here import (
    block_here_applies,
    user_block_here_check,
    user_block_here_request,
    user_unblock_here_request,
)
from users.acts.emails import email_translation, organization_email_send
from users.acts.rules import (
    operation_subject_load,
    password_ticket_create,
    user_rights_check,
    verification_email_send,
)
from users.directory.mirror import directory_user_write_through
from users.directory.selectors import organization_block_list, user_get
from users.models import DirectoryUser


@dataclass(frozen=True)
class UserAction:
    kind: str
    # The URL's name for it, the button people press and what the confirmation page says it does (those two
    # translated as they are shown); the verb of its audit summary, which the trail keeps in English.
    slug: str
    button: str
    consequence: str
    audit_verb: str


USER_ACTIONS: dict[str, UserAction] = {a.slug: a for a in (
    UserAction(OperationKind.USER_BLOCK, "block", pgettext_lazy("button: block the user", "Block"),
               _("They will not be able to sign in until an admin unblocks them."), "Blocked"),
    UserAction(OperationKind.USER_UNBLOCK, "unblock", pgettext_lazy("button: unblock the user", "Unblock"),
               _("They will be able to sign in again."), "Unblocked"),
    UserAction(OperationKind.USER_BLOCKS_CLEAR, "clear-blocks", _("Clear failed sign-in blocks"),
               _("Auth0 lifts the blocks it placed after repeated failed sign-ins, from every IP address."),
               "Cleared failed sign-in blocks of"),
    UserAction(OperationKind.USER_PASSWORD_EMAIL, "password-email", _("Send a change-password email"),
               _("They get an email with a link to choose a new password; their current one keeps working until "
                 "they do."), "Sent a change-password email to"),
    UserAction(OperationKind.USER_VERIFICATION_EMAIL, "verification-email", _("Resend the verification email"),
               _("They get an email with a link that confirms their address."),
               "Resent the verification email to"),
    UserAction(OperationKind.USER_MFA_RESET, "reset-mfa", _("Reset multi-factor authentication"),
               _("Their enrolled second factors (authenticator apps, phone and email codes, security keys) are "
                 "removed; they enrol again at their next sign-in. Passkeys, which are a way to sign in, stay."),
               "Reset multi-factor authentication of"),
)}
# Offered in place of "block" for someone who also belongs to another organization (user_action_for); its
# own task (users.acts.block_here) carries it out.
BLOCK_HERE = UserAction(OperationKind.USER_BLOCK_HERE, "block-here", _("Block in this organization"),
                        _("They lose their access to this organization (its membership and any portal role in it "
                          "end) until an admin lifts the block; their account, sign-in and other organizations are "
                          "left alone."), "Blocked")
USER_ACTIONS[BLOCK_HERE.slug] = BLOCK_HERE
# Passkeys sign a person in; resetting MFA removes second factors only (Auth0 also refuses to delete
# every method at once while a passkey is enrolled).
_KEPT_ON_MFA_RESET = {"passkey"}
_BY_KIND = {a.kind: a for a in USER_ACTIONS.values()}


def _person_act(action: UserAction) -> PersonAct:
    """What ``action`` is to the guardrails: blocking takes away sign-in everywhere; the other acts leave it,
    and every one of them is on the account (its credentials, its Auth0 block)."""
    return PersonAct.BLOCK if action.kind == OperationKind.USER_BLOCK else PersonAct.ACCOUNT


def _rights_check(actor: Principal, organization: Organization, person: DirectoryUser, action: UserAction) -> None:
    """Who may do ``action`` to whom (:func:`_person_act`)."""
    user_rights_check(actor, organization, person, _person_act(action))


def user_action_for(actor: Principal, organization: Organization, person: DirectoryUser,
                    action: UserAction) -> UserAction:
    """The act a request for ``action`` is: a block by an organization's admin of someone who also belongs
    elsewhere blocks them in this organization only (``users.acts.block_here``)."""
    if action.kind == OperationKind.USER_BLOCK and block_here_applies(actor, organization, person):
        return BLOCK_HERE
    return action


# The order a user's page offers the acts in.
_OFFERED_ORDER = ("block", "unblock", "clear-blocks", "reset-mfa", "password-email", "verification-email")


def user_actions_available(person: DirectoryUser, *, sign_in_blocked: bool) -> list[UserAction]:
    """The acts that make sense for ``person`` as the directory has them now (what a user's page offers;
    who may do them is :func:`user_action_for` and :func:`user_action_check`'s). Clearing failed sign-in
    blocks only when Auth0 has some (``sign_in_blocked``, from the person's activity)."""
    available = []
    for slug in _OFFERED_ORDER:
        action = USER_ACTIONS[slug]
        if action.kind == OperationKind.USER_BLOCKS_CLEAR and not sign_in_blocked:
            continue
        try:
            _state_check(person, action)
        except ValidationError:
            continue
        available.append(action)
    return available


def _state_check(person: DirectoryUser, action: UserAction) -> None:
    """Whether ``action`` makes sense for the user as the directory has them."""
    if action.kind == OperationKind.USER_BLOCK and person.blocked:
        raise ValidationError(gettext("%(name)s is already blocked.") % {"name": person.display_name})
    if action.kind == OperationKind.USER_UNBLOCK and not person.blocked:
        raise ValidationError(gettext("%(name)s is not blocked.") % {"name": person.display_name})
    if action.kind in (OperationKind.USER_PASSWORD_EMAIL, OperationKind.USER_VERIFICATION_EMAIL) and not person.email:
        raise ValidationError(gettext("%(name)s has no email address.") % {"name": person.display_name})
    if action.kind == OperationKind.USER_VERIFICATION_EMAIL and person.email_verified:
        raise ValidationError(gettext("%(email)s is verified already.") % {"email": person.email})


def user_action_check(actor: Principal, organization: Organization, person: DirectoryUser, action: UserAction) -> None:
    """Whether ``actor`` may do ``action`` to ``person`` now (ValidationError or PermissionDenied if not)."""
    if action.kind == OperationKind.USER_BLOCK_HERE:
        user_block_here_check(actor, organization, person.user_id, person.display_name)
        return
    _rights_check(actor, organization, person, action)
    _state_check(person, action)


def user_action_request(*, actor: Principal, organization: Organization, user_id: str, action: UserAction,
                        idempotency_key: str | None = None) -> Operation:
    """Record and queue ``action`` on the user. With ``idempotency_key``, asking again with the same key (a
    form sent twice) returns the operation the first request recorded and does nothing more."""
    if idempotency_key and (done := Operation.objects.filter(idempotency_key=idempotency_key).first()):
        return done
    if action.kind == OperationKind.USER_UNBLOCK and organization_block_list(
            principal=actor, organization=organization).filter(user_id=user_id).exists():
        # Blocked in this organization (and so no longer its member): unblocking lifts that block.
        return user_unblock_here_request(actor=actor, organization=organization, user_id=user_id,
                                         idempotency_key=idempotency_key)
    person = user_get(principal=actor, organization=organization, user_id=user_id)  # 404 outside the scope
    action = user_action_for(actor, organization, person, action)
    if action.kind == OperationKind.USER_BLOCK_HERE:
        return user_block_here_request(actor=actor, organization=organization, user_id=person.user_id,
                                       idempotency_key=idempotency_key)
    user_action_check(actor, organization, person, action)
    with transaction.atomic():
        operation = operation_create(kind=action.kind, actor=actor, organization=organization, target=person.user_id,
                                     payload={"user_id": person.user_id, "email": person.email},
                                     idempotency_key=idempotency_key)
        audit_record(actor=actor, action=f"{action.kind}.requested", organization=organization, target_type="user",
                     target_id=person.user_id, summary=f"{action.audit_verb} {person.display_name}",
                     operation=operation)
        operation_enqueue_on_commit(operation)
    return operation


def user_action_apply(operation: Operation) -> dict:
    """Carry out a user action's operation (the task's half)."""
    action = _BY_KIND[operation.kind]
    organization: Organization = operation.organization
    if action.kind == OperationKind.USER_BLOCK:
        return _block_apply(operation)
    _actor, person = operation_subject_load(operation, _person_act(action))
    if action.kind != OperationKind.USER_UNBLOCK:
        # Unblocking twice changes nothing: a retry after the change went through just finishes.
        _state_check(person, action)
    auth0 = gateway()
    if action.kind == OperationKind.USER_UNBLOCK:
        user = auth0.user_update(user_id=person.user_id, blocked=False)
        directory_user_write_through(user)
        return {"blocked": bool(user.get("blocked"))}
    if action.kind == OperationKind.USER_BLOCKS_CLEAR:
        auth0.user_blocks_clear(user_id=person.user_id)
        return {}
    if action.kind == OperationKind.USER_VERIFICATION_EMAIL:
        verification_email_send(auth0, organization, user_id=person.user_id, email=person.email, name=person.name,
                                reason="admin", asked_by=operation.actor_display)
        return {}
    if action.kind == OperationKind.USER_MFA_RESET:
        removed = 0
        for method in auth0.user_authentication_methods(user_id=person.user_id):
            if method.get("type") in _KEPT_ON_MFA_RESET:
                continue
            try:
                auth0.user_authentication_method_delete(user_id=person.user_id, method_id=method["id"])
            except Auth0NotFound:
                continue  # removed already (by a run cut off after Auth0 answered, or by the user)
            removed += 1
        return {"removed": removed}
    ticket = password_ticket_create(auth0, organization, user_id=person.user_id)
    with email_translation(organization, person.user_id):
        organization_email_send(organization, to=person.email, template="users/email/password_change",
                                subject=gettext("Choose a new password for %(organization)s") % {
                                    "organization": organization.display_name},
                                context={"name": person.name, "link": ticket, "inviter": operation.actor_display,
                                         "link_label": gettext("Choose a new password")})
    return {}


def _block_apply(operation: Operation) -> dict:
    """Block the account in Auth0. A blocked admin administers nothing, so the last-admin rule is checked and
    the block made and recorded under the lock of the admin roles of every organization the person administers
    (``organization_admins_lock``): two admins blocking each other at once are served one after the other, and
    the second finds the first blocked, its target the only admin left, and is refused. Blocking twice changes
    nothing: a retry after the change went through just finishes."""
    with transaction.atomic():
        organization_admins_lock(user_id=operation.target, organization=None)
        _actor, person = operation_subject_load(operation, PersonAct.BLOCK)
        user = gateway().user_update(user_id=person.user_id, blocked=True)
        directory_user_write_through(user)
    return {"blocked": bool(user.get("blocked"))}
