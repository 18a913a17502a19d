"""Removing a user from an organization, and deleting a user's account.

Each is one act in two halves, as every operation is (see ``users.acts.account``): the request (what a view
calls: the user must be one the actor may see in the organization, the actor allowed and the guardrails of
``organizations.access.guardrails`` kept; it records the Operation and its audit event and queues the task) and
the apply (what the task calls: the same checks again, as things are then, the Management API call, the
write-through to the directory).

Remove, by the organization's membership mode (DESIGN.md section 2): a shared connection's user has the
organization's slug taken out of ``app_metadata.organizations``; an Auth0 Organization's member has the
membership deleted. An isolated organization's users belong to it by their connection: they cannot
leave it, only be deleted.

Delete: the account is deleted in Auth0, then the directory removes the user and leaves a tombstone, as a
sync that finds a user gone does. Company admins may delete any user; an organization's admins only the
users of an isolated organization (a shared-connection or Auth0 Organization user may belong to other
organizations too). The person confirms by typing the user's email.

Either way the person's portal roles in what they left end with it, and so do the organization's grants of
application roles (``app_roles.acts.organization_grants_end``: its own grants only, a role another
organization granted too stays in Auth0). Both are idempotent in effect, so a run
cut off after Auth0 answered may run again: the slug is already out of the list, the membership already
gone, and a deleted user's 404 means the deletion is done.
"""

from __future__ import annotations

import contextlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext

from app_roles.acts import organization_grants_end
from auth0_gateway import Auth0Gateway, Auth0NotFound, Auth0User, gateway
from organizations.access.authorization import require_org_admin
from organizations.access.guardrails import PersonAct, organization_admins_lock, person_act_check
from organizations.membership import membership_of
from organizations.models import Organization
from organizations.roles import user_roles_end
from portal.audit import audit_record
from portal.faults import PermanentFault
from portal.models import Operation, OperationKind
from portal.operations import operation_create, operation_enqueue_on_commit
from portal.principal import Principal
from portal.web.refusals import refusal_of
from users.acts.rules import operation_actor_load
from users.directory.mirror import directory_user_write_through, directory_users_delete
from users.directory.selectors import user_get
from users.models import DirectoryUser, Tombstone


# -- who may do what ------------------------------------------------------------------------------------
def user_remove_offered(organization: Organization) -> bool:
    """Whether the organization's users can leave it without their account being deleted."""
    return not membership_of(organization).by_own_connection


def user_delete_permitted(actor: Principal, organization: Organization) -> bool:
    """Company admins delete any user; an organization's admins those of an isolated organization, whose
    users belong to no other organization."""
    if actor.is_company_admin:
        return True
    return actor.can_admin(organization.pk) and membership_of(organization).by_own_connection


def _remove_check(actor: Principal, organization: Organization, user_id: str, name: str) -> None:
    require_org_admin(actor, organization)
    if not user_remove_offered(organization):
        raise ValidationError(gettext("Users of %(organization)s belong to it by its own connection: they cannot be "
                                      "removed from it, only deleted.") % {"organization": organization.display_name})
    person_act_check(actor, organization, user_id=user_id, name=name, act=PersonAct.REMOVE)


def _delete_check(actor: Principal, organization: Organization, user_id: str, name: str) -> None:
    require_org_admin(actor, organization)
    if not user_delete_permitted(actor, organization):
        raise PermissionDenied(gettext("Only company admins delete users of %(organization)s: its users may belong to "
                                       "other organizations too. Remove them from this organization instead.") % {
            "organization": organization.display_name})
    person_act_check(actor, organization, user_id=user_id, name=name, act=PersonAct.DELETE)


def user_remove_refusal(actor: Principal, organization: Organization, person: DirectoryUser) -> str:
    """Why ``actor`` may not remove ``person`` from the organization ("" if they may)."""
    return refusal_of(lambda: _remove_check(actor, organization, person.user_id, person.display_name))


def user_delete_refusal(actor: Principal, organization: Organization, person: DirectoryUser) -> str:
    """Why ``actor`` may not delete ``person`` ("" if they may)."""
    return refusal_of(lambda: _delete_check(actor, organization, person.user_id, person.display_name))


def delete_confirmation_text(person: DirectoryUser) -> str:
    """What the person deleting a user types to confirm: the user's email (their id if they have none)."""
    return person.email or person.user_id


# -- the requests -------------------------------------------------------------------------------------
def _record(actor: Principal, organization: Organization, person: DirectoryUser, kind: str, summary: str,
            idempotency_key: str | None = None) -> Operation:
    with transaction.atomic():
        operation = operation_create(kind=kind, actor=actor, organization=organization, target=person.user_id,
                                     payload={"user_id": person.user_id, "email": person.email,
                                              "name": person.display_name},
                                     idempotency_key=idempotency_key)
        audit_record(actor=actor, action=f"{kind}.requested", organization=organization, target_type="user",
                     target_id=person.user_id, summary=summary, operation=operation)
        operation_enqueue_on_commit(operation)
    return operation


def user_remove_request(*, actor: Principal, organization: Organization, user_id: str,
                        idempotency_key: str | None = None) -> Operation:
    person = user_get(principal=actor, organization=organization, user_id=user_id)  # 404 outside the scope
    _remove_check(actor, organization, person.user_id, person.display_name)
    return _record(actor, organization, person, OperationKind.USER_REMOVE,
                   f"Removed {person.display_name} from {organization.display_name}", idempotency_key)


def user_delete_request(*, actor: Principal, organization: Organization, user_id: str, confirmation: str,
                        idempotency_key: str | None = None) -> Operation:
    """Delete the user's account; ``confirmation`` is what the person typed, which must be the user's email
    (a ValidationError on the ``confirmation`` field otherwise, and nothing happens)."""
    person = user_get(principal=actor, organization=organization, user_id=user_id)
    _delete_check(actor, organization, person.user_id, person.display_name)
    expected = delete_confirmation_text(person)
    if confirmation.strip().lower() != expected.lower():
        if person.email:
            refusal = gettext("That is not %(name)s's email address: type %(expected)s exactly to confirm the "
                              "deletion.")
        else:
            refusal = gettext("That is not %(name)s's user ID: type %(expected)s exactly to confirm the deletion.")
        raise ValidationError({"confirmation": refusal % {"name": person.display_name, "expected": expected}})
    return _record(actor, organization, person, OperationKind.USER_DELETE,
                   f"Deleted the account of {person.display_name}", idempotency_key)


# -- the Management API side (also what revoking an invitation does) ---------------------------------------
def membership_end(auth0: Auth0Gateway, organization: Organization, user_id: str) -> Auth0User | None:
    """Take ``user_id`` out of the organization in Auth0 and write the user through to the directory, whose
    membership then ends; idempotent. None when Auth0 no longer has the user (the directory forgets them).
    One transaction: in the shared mode the person's organizations list stays locked until the directory has
    recorded it (as ``users.acts.membership.membership_add`` does)."""
    try:
        user = auth0.user_get(user_id=user_id)
    except Auth0NotFound:
        directory_users_delete([user_id])
        return None
    with transaction.atomic():
        user, auth0_organization_ids = membership_of(organization).end(auth0, user)
        directory_user_write_through(user, auth0_organization_ids=auth0_organization_ids)
    return user


def account_delete(auth0: Auth0Gateway, user_id: str, *, actor: Principal, operation: Operation) -> None:
    """Delete the account in Auth0 (a 404 means an earlier run did), then, together, the directory's copy
    (with its tombstone) and the person's portal roles."""
    with contextlib.suppress(Auth0NotFound):
        auth0.user_delete(user_id=user_id)
    with transaction.atomic():
        directory_users_delete([user_id])
        user_roles_end(actor=actor, user_id=user_id, organization=None, operation=operation)


# -- the applies ------------------------------------------------------------------------------------------
def user_remove_apply(operation: Operation) -> dict:
    organization: Organization = operation.organization
    actor = operation_actor_load(operation)
    user_id = operation.target
    with transaction.atomic():
        # The last admin stays: checked and kept under one lock, against another act on the same admins.
        organization_admins_lock(user_id=user_id, organization=organization)
        _remove_check(actor, organization, user_id, operation.payload.get("name", ""))
        # Whether or not the directory still lists them (a run cut off after Auth0 answered has written them
        # through already), the act is the same and harmless to repeat: out of the list, out of the membership.
        auth0 = gateway()
        user = membership_end(auth0, organization, user_id)
        user_roles_end(actor=actor, user_id=user_id, organization=organization, operation=operation)
        app_roles_ended = organization_grants_end(auth0, organization, user_id)
    return {"removed": True, "account_exists": user is not None, "app_roles_ended": app_roles_ended}


def user_delete_apply(operation: Operation) -> dict:
    organization: Organization = operation.organization
    actor = operation_actor_load(operation)
    user_id = operation.target
    if not DirectoryUser.objects.filter(user_id=user_id).exists() and Tombstone.objects.filter(
            user_id=user_id).exists():
        return {"deleted": True}  # an earlier run finished the work and was cut off before saying so
    with transaction.atomic():
        # Every organization they administer keeps an admin: checked and kept under one lock.
        organization_admins_lock(user_id=user_id, organization=None)
        _delete_check(actor, organization, user_id, operation.payload.get("name", ""))
        try:
            user_get(principal=actor, organization=organization, user_id=user_id)
        except Http404:
            raise PermanentFault(f"{operation.payload.get('email') or user_id} is no longer a user of "
                                 f"{organization.display_name}.") from None
        account_delete(gateway(), user_id, actor=actor, operation=operation)
    return {"deleted": True}
