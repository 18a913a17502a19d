"""Inviting a person into an organization, by its membership mode (DESIGN.md section 2).

One act in two halves: :func:`user_invite_request` (what a view calls: checks the input and the actor's
rights, records the Operation, queues it) and :func:`user_invite_apply` (what the task calls, against
Auth0, re-checking the actor's rights then).

The new user's password is random, generated inside the apply, used once in the create call and then
forgotten: it is never stored, logged, queued or shown. The person sets their own through a
password-change ticket that the invitation email carries.

An account that exists already and is not a member (someone who belongs to another organization, a
company admin, anyone with an account in the connection) is never added by the admin's act: they get an
invitation to join that they accept by signing in as themselves (``users.acts.join``). Without that rule
an admin could pull another organization's member into their own and act on their account.

Exactly once, in effect: the account a run creates is noted on the operation at once, so a retried run
(after a 409 or a lost answer) knows it for its own and makes it a member; adding a membership is
idempotent. A retry after the email was sent sends a new ticket, which is what a retry must do. (An
Auth0 Organization's run killed between Auth0's answer and that note leaves an account the retry cannot
tell from someone else's: it invites it to join, the safe side.)

A retry does not read what its run read already (``portal.operations.operation_note``): a run that waits for
the budget, most often the tickets' (the "other" group, which binds first), is run again from the top, and
its users-by-email read would be made again each time, spending the Read Users budget every other run waits
on. Two facts are noted. "No account with this email in the connection": a retry creates without reading;
should someone have made the account meanwhile, the create is a 409 and the run reads then, as a run that
lost its create's answer does, so the note can cost a call but never make a second account. "The account is
ready" (the invitation's own, a member, holding its metadata, in the directory): a retry has only the
set-password email left to send. A retry sent from the operations page reads afresh.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext

from app_roles.acts import invitation_app_roles_request
from app_roles.catalog import grantable_role_check
from auth0_gateway import Auth0Conflict, Auth0Gateway, Auth0User, gateway
from organizations.access.authorization import require_org_admin
from organizations.membership import membership_of
from organizations.models import Organization
from portal.audit import audit_record
from portal.faults import PermanentFault
from portal.models import Operation, OperationKind
from portal.operations import operation_create_alone, operation_enqueue_on_commit, operation_note, operation_notes
from portal.principal import Principal
from users.acts.block_here import organization_block_check
from users.acts.emails import email_translation, organization_email_send
from users.acts.join import join_invitation_offer
from users.acts.membership import connection_user, membership_add
from users.acts.metadata import MetadataEditor, invite_metadata_merge, metadata_changes_audit, metadata_payload
from users.acts.rules import operation_actor_load, password_ticket_create
from users.directory.selectors import organization_member_lookup
from users.models import JoinInvitation

EMAIL_MAX = 254
NAME_MAX = 120
# The code of the refusal of a second invitation while the first is on its way.
ON_ITS_WAY = "invitation_on_its_way"

# Four classes of character, as Auth0's strictest policy ("excellent": at least 10 characters, 3 of the 4
# classes, no character more than twice in a row) asks; 32 characters clear every policy's minimum length.
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "!#$%&*+-=?@^_")
PASSWORD_LENGTH = 32


def password_random(length: int = PASSWORD_LENGTH) -> str:
    """A password no one will ever know: every character class, no character three times in a row."""
    alphabet = "".join(_CLASSES)
    while True:
        chars = [secrets.choice(c) for c in _CLASSES]
        chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
        for i in range(len(chars) - 1, 0, -1):  # Fisher-Yates with the system's randomness
            j = secrets.randbelow(i + 1)
            chars[i], chars[j] = chars[j], chars[i]
        password = "".join(chars)
        if not any(password[i] == password[i + 1] == password[i + 2] for i in range(len(password) - 2)):
            return password


def user_invite_request(*, actor: Principal, organization: Organization, email: str, name: str = "",
                        given_name: str = "", family_name: str = "", values: dict | None = None,
                        app_role_ids: Sequence[str] = (), idempotency_key: str | None = None) -> Operation:
    """Invite ``email`` into ``organization``: every problem with the input is a ValidationError naming
    its field, and nothing is recorded; otherwise an Operation is recorded and queued (keyed by
    ``idempotency_key`` when the caller has one, e.g. the API's Idempotency-Key).

    ``values`` (optional) is metadata to set on the person as they join, keyed as ``users.acts.metadata`` keys an
    edit (``{"user_metadata": {…}, "app_metadata": {…}}``) and checked by the same rules: only the schema's
    fields the actor may edit, each valid by its field's rules (errors named ``"<target>.<key>"``), and every
    required field the actor may edit given a value (``MetadataEditor.changes_for_someone_new``; a required
    field only others may set is left to them). The task checks the values again, not the required fields: a
    field made required after the invitation was asked for binds the next invitations, not this one.

    ``app_role_ids``: application roles the person is given once they are ready (``app_roles.acts``), each one the
    organization may grant (else a ValidationError on ``app_roles``)."""
    require_org_admin(actor, organization)
    email, name = email.strip().lower(), " ".join(name.split())
    given_name, family_name = " ".join(given_name.split()), " ".join(family_name.split())
    errors: dict[str, str] = {}
    try:
        if len(email) > EMAIL_MAX:
            raise ValidationError("too long")  # untranslated: replaced just below
        validate_email(email)
    except ValidationError:
        errors["email"] = gettext("Enter a valid email address, like name@example.com.")
    for field, value in (("name", name), ("given_name", given_name), ("family_name", family_name)):
        if len(value) > NAME_MAX:
            errors[field] = gettext("Keep the name to %(count)s characters.") % {"count": NAME_MAX}
    changes = []
    try:
        # Every required field the actor may set needs a value, metadata given or not.
        changes = MetadataEditor.for_admin(actor, organization).changes_for_someone_new(values or {})
    except ValidationError as exc:
        errors.update(exc.message_dict if hasattr(exc, "error_dict") else {"values": " ".join(exc.messages)})
    app_role_ids = list(dict.fromkeys(app_role_ids))
    if role_errors := grantable_role_check(organization, app_role_ids):
        errors["app_roles"] = " ".join(role_errors)
    if errors:
        raise ValidationError(errors)
    if not organization.is_provisioned:
        raise ValidationError(gettext("%(organization)s is not connected to Auth0 yet: invite once its connection is "
                                      "ready (its page shows the progress).") % {
            "organization": organization.display_name})
    if organization_member_lookup(organization, email).members:
        raise ValidationError({"email": gettext("%(email)s is already a user of %(organization)s.") % {
            "email": email, "organization": organization.display_name}})
    organization_block_check(organization, email=email)
    if JoinInvitation.objects.filter(organization=organization, email__iexact=email,
                                     status=JoinInvitation.Status.PENDING).exists():
        raise ValidationError({"email": gettext("%(email)s has been invited already and has not answered yet: the "
                                                "pending invitations page can send the invitation again.") % {
            "email": email}})
    with transaction.atomic():
        if invitation_on_its_way(organization, email):
            raise invitation_on_its_way_error(email)
        payload = {"email": email, "name": name, **_given_names(given_name, family_name), **metadata_payload(changes),
                   **({"app_role_ids": app_role_ids} if app_role_ids else {})}
        operation = _invitation_create(actor, organization, email, payload, idempotency_key)
        details = {**({"changes": metadata_changes_audit(changes)} if changes else {}),
                   **({"app_roles": app_role_ids} if app_role_ids else {})}
        audit_record(actor=actor, action="user.invite_requested", organization=organization, target_type="user",
                     target_id=email, summary=f"Invited {email} to {organization.display_name}", operation=operation,
                     details=details or None)
        operation_enqueue_on_commit(operation)
    return operation


def invitation_on_its_way(organization: Organization, email: str) -> bool:
    """Whether an invitation to ``email`` (any case) into ``organization`` is recorded and not finished yet."""
    return Operation.objects.filter(kind=OperationKind.USER_INVITE, organization=organization, target__iexact=email,
                                    status__in=[Operation.Status.PENDING, Operation.Status.RUNNING]).exists()


def invitation_on_its_way_error(email: str) -> ValidationError:
    """The refusal of a second invitation while the first is on its way, beside the email (code
    :data:`ON_ITS_WAY`: the API answers it as a 409)."""
    return ValidationError({"email": ValidationError(
        gettext("An invitation to %(email)s is already on its way.") % {"email": email}, code=ON_ITS_WAY)})


def _invitation_create(actor: Principal, organization: Organization, email: str, payload: dict,
                       idempotency_key: str | None) -> Operation:
    """Record the invitation, inside the caller's transaction. Two requests at the same instant both find none on
    its way; the database's index (one unfinished invitation per organization and email,
    ``portal.models.INVITATION_ON_ITS_WAY``) lets one record it and refuses the other with the check's refusal."""
    return operation_create_alone(refusal=invitation_on_its_way_error(email), kind=OperationKind.USER_INVITE,
                                  actor=actor, organization=organization, target=email, payload=payload,
                                  idempotency_key=idempotency_key)


def _given_names(given_name: str, family_name: str) -> dict[str, str]:
    return {k: v for k, v in (("given_name", given_name), ("family_name", family_name)) if v}


def _created_user_record(operation: Operation, user_id: str) -> None:
    """Note on the operation, as soon as Auth0 answers, the account this invitation created: a retried run
    then knows the account is its own (and may make it a member) rather than someone else's (whom it may
    only invite to join, ``users.acts.join``)."""
    operation.result = {**(operation.result or {}), "created_user_id": user_id}
    Operation.objects.filter(pk=operation.pk).update(result=operation.result)


def _account_id(operation: Operation) -> str:
    """The id the invitation asks Auth0 to give the account it creates: the operation's own. A run cut off
    after Auth0 made the account but before it heard the answer (a killed worker, a broker's restart) leaves
    no ``created_user_id``; the next run still knows the account as this invitation's by its id, rather than
    taking it for someone else's and only inviting its owner to join."""
    return operation.pk.hex


def _created_by(operation: Operation, user: Auth0User) -> bool:
    return user["user_id"] in ((operation.result or {}).get("created_user_id"), f"auth0|{_account_id(operation)}")


def user_invite_apply(operation: Operation) -> dict:
    """Create the person and make them a member, with a set-password link by email; or, for someone who
    already has an account that is not a member, invite them to join (``users.acts.join``): an existing
    account joins only when its owner accepts, signed in as themselves, never by an admin's act alone."""
    organization: Organization = operation.organization
    # The actor's rights are checked again now, not only when the invitation was asked for.
    actor = operation_actor_load(operation)
    email, name = operation.payload["email"], operation.payload.get("name", "")
    given_name, family_name = operation.payload.get("given_name", ""), operation.payload.get("family_name", "")
    organization_block_check(organization, email=email, fault=True)
    metadata = invite_metadata_merge(operation, actor)
    auth0 = gateway()
    notes = operation_notes(operation)
    if notes.get("ready_user_id"):
        # An earlier run made the account ready and then waited (for the tickets' budget, most often): the
        # checks above are made again, Auth0 is not read again.
        return _set_password_send(auth0, operation, user_id=notes["ready_user_id"])
    connection = organization.connection_name
    membership = membership_of(organization)
    # Read unless an earlier run found no account (and created none that it noted: then it reads to find it).
    absent_noted = notes.get("no_account") and not (operation.result or {}).get("created_user_id")
    user = None if absent_noted else connection_user(auth0, connection, email)
    # The user's Auth0 Organizations, read once per run (None: not read yet): a run that reads more than it
    # needs spends the Read Users budget that every other run waits on.
    organization_ids: list[str] | None = None
    if user is None:
        if not absent_noted:
            operation_note(operation, no_account=True)
        app_metadata = {**metadata.get("app_metadata", {}), **membership.created_app_metadata()}
        try:
            user = auth0.user_create(
                connection=connection, user_id=_account_id(operation), email=email, password=password_random(),
                email_verified=False, verify_email=False, name=name or None, given_name=given_name or None,
                family_name=family_name or None,
                user_metadata=metadata.get("user_metadata") or None, app_metadata=app_metadata or None,
            )
            _created_user_record(operation, user["user_id"])
            metadata = {}  # set by the create
            organization_ids = []  # a new account is in no organization yet
        except Auth0Conflict:
            user = connection_user(auth0, connection, email)
            if user is None:
                raise PermanentFault(f"Auth0 says {email} exists in {connection} but does not list them.") from None
    if organization_ids is None:
        organization_ids = membership.auth0_organization_ids(auth0, user)
    member = membership.belongs(user, organization_ids)
    if not member and not _created_by(operation, user):
        # Someone else's account (perhaps another organization's member, or a company admin): asked, not added.
        return join_invitation_offer(operation, organization, user_id=user["user_id"], email=email, name=name,
                                     metadata=metadata)
    if member and user.get("logins_count"):
        raise PermanentFault(f"{email} is already a user of {organization.display_name}.")
    # From here on the account is this organization's invitation's own: created by it (by this run or one cut
    # off before it finished), or a member who never signed in, whose set-password link goes out again. The
    # metadata is not set again when they hold it already (a run retried after an earlier one set it).
    user = membership_add(auth0, organization, user, metadata=metadata, member=member,
                          auth0_organization_ids=sorted({*organization_ids, organization.auth0_organization_id})
                          if membership.in_auth0_organizations else None)
    # The roles asked for go as operations of their own (keyed by this invitation: queued once however often
    # it runs), each carried out, retried and audited as any assignment is, rather than as a part of this run,
    # which an assignment's failure would fail after the account was made.
    invitation_app_roles_request(operation, user_id=user["user_id"], actor=actor)
    operation_note(operation, ready_user_id=user["user_id"])
    return _set_password_send(auth0, operation, user_id=user["user_id"])


def _set_password_send(auth0: Auth0Gateway, operation: Operation, *, user_id: str) -> dict:
    """The invitation's last step, once its account is ready: the set-password email; the run's outcome."""
    payload = operation.payload
    invitation_set_password_send(auth0, operation.organization, user_id=user_id, email=payload["email"],
                                 name=payload.get("name", ""), inviter=operation.actor_display)
    return {"user_id": user_id, "new_user": True, "outcome": "invited"}


def invitation_set_password_send(auth0: Auth0Gateway, organization: Organization, *, user_id: str, email: str,
                                 name: str, inviter: str) -> None:
    """The invitation of someone who never signed in: a new set-password ticket (choosing a password through
    the emailed link proves the address) in the invitation email. Sending it again is what resending an
    invitation does."""
    ticket = password_ticket_create(auth0, organization, user_id=user_id, mark_email_as_verified=True)
    invitation_email_send(organization, email=email, name=name, link=ticket, inviter=inviter, new_user=True,
                          user_id=user_id)


def invitation_email_send(organization: Organization, *, email: str, name: str, link: str, inviter: str,
                          new_user: bool, user_id: str = "") -> None:
    with email_translation(organization, user_id):
        subject = (gettext("You are invited to %(organization)s") if new_user
                   else gettext("You now have access to %(organization)s")) % {
                       "organization": organization.display_name}
        organization_email_send(organization, to=email, subject=subject, template="users/email/invitation",
                                context={"name": name, "link": link, "inviter": inviter, "new_user": new_user,
                                         "link_label": gettext("Choose your password") if new_user
                                         else gettext("Sign in")})
