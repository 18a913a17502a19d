"""An admin changes a user's email address, as the Delegated Administration Extension offered.

One act in two halves, as in :mod:`users.acts.account`: :func:`user_email_change_request` (what a view calls)
checks the actor's rights and the address, records the Operation with its audit event (the address before
and after) and queues ``users.tasks.user_email_change``, which runs :func:`user_email_change_apply`.

The new address is set unverified (``email_verified: false``), and the portal emails it a link that confirms
it (``users.acts.rules.verification_email_send``: branded, in the person's language). Only users whose account
is in a database connection have an address the portal can change: a social or enterprise provider owns the
others' (Auth0 refuses with a 400). An invalid address, the user's own address, or one another user of that
connection already has is refused with a specific message, beside the field, and nothing is recorded. The
directory is only a copy: an address taken in Auth0 since it was read ends the operation with Auth0's refusal
in plain words, and nothing changed.

Idempotent in effect: a retry after Auth0 answered sets the same address again (Auth0 sees no conflict with
the user themselves) and sends a second verification email, which a retry must.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext

from auth0_gateway import Auth0Permanent, gateway
from organizations.access.guardrails import PersonAct
from organizations.models import Organization
from portal.audit import audit_record
from portal.faults import PermanentFault
from portal.models import Operation, OperationKind
from portal.operations import operation_create_alone, operation_enqueue_on_commit
from portal.principal import Principal
from users.acts.rules import operation_subject_load, user_rights_check, verification_email_send
from users.directory.mirror import directory_user_write_through
from users.directory.selectors import user_get
from users.models import DirectoryUser

EMAIL_MAX = 254
# Auth0's provider of database connections (identities[].provider).
DATABASE_PROVIDER = "auth0"


def user_primary_identity(person: DirectoryUser) -> dict:
    """The identity the user's account is (Auth0 lists it first): its connection, provider and isSocial."""
    return (person.identities or [{}])[0] or {}


def user_has_database_identity(person: DirectoryUser) -> bool:
    """Whether the user's account is in a database connection: the portal can then change their address, and
    they have a password Auth0 keeps (a social or enterprise provider owns the others')."""
    return user_primary_identity(person).get("provider") == DATABASE_PROVIDER


def user_database_connection_check(person: DirectoryUser) -> None:
    """Whether the portal may change the user's address: their account (primary identity) must be in a database
    connection; a ValidationError saying why not otherwise."""
    if not user_has_database_identity(person):
        raise ValidationError(gettext("%(name)s signs in through %(connection)s, a social or enterprise connection: "
                                      "their email address comes from that provider and can only be changed there.")
                              % {"name": person.display_name,
                                 "connection": person.connection or gettext("another provider")})


def user_email_change_check(*, actor: Principal, organization: Organization, user_id: str, email: str
                            ) -> tuple[DirectoryUser, str]:
    """The user and the new address (trimmed, lower-cased as Auth0 keeps database addresses) if the change
    may be asked for; otherwise ValidationError (``{"email": …}`` for the address itself) or PermissionDenied.
    The edit page's confirmation step calls this; :func:`user_email_change_request` calls it again."""
    person = user_get(principal=actor, organization=organization, user_id=user_id)  # 404 outside the scope
    user_rights_check(actor, organization, person, PersonAct.EMAIL_CHANGE)
    user_database_connection_check(person)
    new = (email or "").strip().lower()
    try:
        if not new or len(new) > EMAIL_MAX:
            raise ValidationError("empty or too long")  # untranslated: replaced just below
        validate_email(new)
    except ValidationError:
        raise ValidationError({"email": gettext("Enter a valid email address, like name@example.com.")}) from None
    if new == (person.email or "").lower():
        raise ValidationError({"email": gettext("%(email)s is already %(name)s's email address.") % {
            "email": new, "name": person.display_name}})
    taken = DirectoryUser.objects.filter(connection=person.connection, email__iexact=new).exclude(pk=person.pk)
    if taken.exists():
        raise ValidationError({"email": gettext("Another user of the %(connection)s connection already has "
                                                "%(email)s.") % {"connection": person.connection, "email": new}})
    on_its_way = Operation.objects.filter(kind=OperationKind.USER_EMAIL_CHANGE, target=person.user_id,
                                          status__in=[Operation.Status.PENDING, Operation.Status.RUNNING])
    if on_its_way.exists():
        raise _on_its_way()
    return person, new


def _on_its_way() -> ValidationError:
    return ValidationError(gettext("A change of this user's email address is already on its way: wait for it to "
                                   "finish."))


def user_email_change_request(*, actor: Principal, organization: Organization, user_id: str, email: str,
                              idempotency_key: str | None = None) -> Operation:
    """Record and queue the change of the user's address to ``email`` (``idempotency_key``: a caller's own key,
    as SCIM provisioning passes one, so that a retried caller asks once)."""
    person, new = user_email_change_check(actor=actor, organization=organization, user_id=user_id, email=email)
    with transaction.atomic():
        # Two changes asked for at the same instant both pass the check: the database lets one through.
        operation = operation_create_alone(refusal=_on_its_way(), kind=OperationKind.USER_EMAIL_CHANGE, actor=actor,
                                           organization=organization, target=person.user_id,
                                           payload={"user_id": person.user_id, "email": person.email,
                                                    "new_email": new}, idempotency_key=idempotency_key)
        audit_record(actor=actor, action="user_email_change.requested", organization=organization,
                     target_type="user", target_id=person.user_id,
                     summary=f"Changed the email address of {person.display_name} from {person.email or '(none)'} "
                             f"to {new}",
                     details={"before": person.email, "after": new}, operation=operation)
        operation_enqueue_on_commit(operation)
    return operation


def user_email_change_apply(operation: Operation) -> dict:
    """Set the new address in Auth0, unverified; write the user through; send the new address the portal's
    verification email."""
    _actor, person = operation_subject_load(operation, PersonAct.EMAIL_CHANGE)
    user_database_connection_check(person)
    new = operation.payload["new_email"]
    try:
        # Not Auth0's verification email (``verify_email``): the portal sends its own, branded and translated.
        auth0 = gateway()
        user = auth0.user_update(user_id=person.user_id, email=new, email_verified=False, verify_email=False)
    except Auth0Permanent as exc:
        if exc.error_code == "email_conflict":
            raise PermanentFault(f"Another user of the {person.connection} connection already has {new}: the "
                                 "address was not changed.") from exc
        raise
    directory_user_write_through(user)
    verification_email_send(auth0, operation.organization, user_id=person.user_id, email=new, name=person.name,
                            reason="changed", asked_by=operation.actor_display)
    return {"email": user.get("email"), "email_verified": bool(user.get("email_verified"))}
