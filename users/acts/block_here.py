"""Blocking a person in one organization only, and lifting that block.

An organization's admin may block in Auth0 (everywhere) only people their organization governs alone
(``organizations.access.guardrails``). Someone who also belongs to another organization is blocked *here*: their
membership ends in Auth0 (the slug leaves ``app_metadata.organizations``, or the Auth0 Organization's
membership is deleted), so every application that honours membership, and the portal's own sign-in, stops
letting them into this organization, and their portal roles in it and the application roles it granted them
end; their account, password and other
organizations are untouched. An :class:`~users.models.OrganizationBlock` row remembers it, so that the
organization's admins see whom they blocked and can let them back in without asking them again (unlike
someone removed, who would get an invitation to join).

An isolated organization's people belong to it by its own connection: there is no membership to end, so
only a company admin can block such a person who also belongs elsewhere.

Each is one act in two halves, as every operation is: the request (a view, the API, a selection or a bulk
row; the guardrails kept) and the apply (the task: the same checks again as things are then, the Management
API calls). Both are idempotent in effect: a retry finds the membership ended (or back) already.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext, gettext_noop

from app_roles.acts import organization_grants_end
from auth0_gateway import Auth0NotFound, gateway
from organizations.access.authorization import require_org_admin
from organizations.access.guardrails import (
    PersonAct,
    organization_admins_lock,
    person_act_check,
    person_governed_by,
)
from organizations.membership import membership_of
from organizations.models import Organization
from organizations.roles import user_roles_end
from portal.audit import audit_record
from portal.faults import PermanentFault
from portal.models import Operation, OperationKind
from portal.operations import operation_create, operation_enqueue_on_commit
from portal.principal import Principal
from portal.web.refusals import refusal_of
from users.acts.membership import membership_add
from users.acts.removal import membership_end
from users.acts.rules import operation_actor_load
from users.directory.mirror import directory_users_delete
from users.directory.selectors import organization_block_get, user_get
from users.models import DirectoryUser, OrganizationBlock


def block_here_applies(actor: Principal, organization: Organization, person: DirectoryUser) -> bool:
    """Whether a block of ``person`` by ``actor`` is a block in this organization only: an organization's
    admin blocking someone their organization does not govern alone (company admins block the account)."""
    return not actor.is_company_admin and not person_governed_by(organization, person.user_id)


def user_block_here_check(actor: Principal, organization: Organization, user_id: str, name: str) -> None:
    require_org_admin(actor, organization)
    if membership_of(organization).by_own_connection:
        raise ValidationError(gettext("%(name)s belongs to %(organization)s by its own connection and to another "
                                      "organization too: only a company admin can block them.") % {
            "name": name or gettext("This person"), "organization": organization.display_name})
    person_act_check(actor, organization, user_id=user_id, name=name, act=PersonAct.BLOCK_HERE)


def user_block_here_refusal(actor: Principal, organization: Organization, person: DirectoryUser) -> str:
    """Why ``actor`` may not block ``person`` in the organization ("" if they may)."""
    return refusal_of(lambda: user_block_here_check(actor, organization, person.user_id, person.display_name))


_BLOCKED_HERE = gettext_noop("%(email)s is blocked in %(organization)s: lift the block (the blocked people page) to "
                             "let them back in.")


def organization_block_check(organization: Organization, *, email: str, fault: bool = False) -> None:
    """An invitation of someone blocked in the organization is refused: they are let back by lifting the
    block. A ValidationError on the email field (the request), or a PermanentFault (the task's re-check)."""
    if not OrganizationBlock.objects.filter(organization=organization, email__iexact=email).exists():
        return
    params = {"email": email, "organization": organization.display_name}
    if fault:  # the operation keeps it, in English
        raise PermanentFault(_BLOCKED_HERE % params)
    raise ValidationError({"email": gettext(_BLOCKED_HERE) % params})


def _record(actor: Principal, organization: Organization, kind: str, *, user_id: str, email: str, name: str,
            summary: str, idempotency_key: str | None) -> Operation:
    with transaction.atomic():
        operation = operation_create(kind=kind, actor=actor, organization=organization, target=user_id,
                                     payload={"user_id": user_id, "email": email, "name": name},
                                     idempotency_key=idempotency_key)
        audit_record(actor=actor, action=f"{kind}.requested", organization=organization, target_type="user",
                     target_id=user_id, summary=summary, operation=operation)
        operation_enqueue_on_commit(operation)
    return operation


def user_block_here_request(*, actor: Principal, organization: Organization, user_id: str,
                            idempotency_key: str | None = None) -> Operation:
    """Block the organization's user ``user_id`` in this organization only."""
    if idempotency_key and (done := Operation.objects.filter(idempotency_key=idempotency_key).first()):
        return done
    person = user_get(principal=actor, organization=organization, user_id=user_id)  # 404 outside the scope
    user_block_here_check(actor, organization, person.user_id, person.display_name)
    return _record(actor, organization, OperationKind.USER_BLOCK_HERE, user_id=person.user_id, email=person.email,
                   name=person.display_name, idempotency_key=idempotency_key,
                   summary=f"Blocked {person.display_name} in {organization.display_name}")


def user_unblock_here_request(*, actor: Principal, organization: Organization, user_id: str,
                              idempotency_key: str | None = None) -> Operation:
    """Lift the organization's block of ``user_id``: they are a member again (404 for no such block)."""
    if idempotency_key and (done := Operation.objects.filter(idempotency_key=idempotency_key).first()):
        return done
    block = organization_block_get(principal=actor, organization=organization, user_id=user_id)
    require_org_admin(actor, organization)
    return _record(actor, organization, OperationKind.USER_UNBLOCK_HERE, user_id=block.user_id, email=block.email,
                   name=block.display_name, idempotency_key=idempotency_key,
                   summary=f"Unblocked {block.display_name} in {organization.display_name}")


def user_block_here_apply(operation: Operation) -> dict:
    organization: Organization = operation.organization
    actor = operation_actor_load(operation)
    user_id, name = operation.target, operation.payload.get("name", "")
    if not OrganizationBlock.objects.filter(organization=organization, user_id=user_id).exists():
        # Not blocked yet by an earlier run of this operation: they must still be a user the actor may block.
        try:
            user_get(principal=actor, organization=organization, user_id=user_id)
        except Http404 as exc:  # they left meanwhile
            raise PermanentFault(f"{operation.payload.get('email') or user_id} is no longer a user of "
                                 f"{organization.display_name}.") from exc
        with transaction.atomic():
            # The last admin stays: checked, and their roles here ended, under one lock, so that two admins
            # blocking each other at once are served one after the other (the second finds the first's
            # roles gone and is refused).
            organization_admins_lock(user_id=user_id, organization=organization)
            user_block_here_check(actor, organization, user_id, name)
            # Recorded first: from now on the person counts as this organization's (the guardrails see it)
            # even while their membership is being ended, and a retry knows the block is its own.
            OrganizationBlock.objects.get_or_create(organization=organization, user_id=user_id, defaults={
                "email": operation.payload.get("email", ""), "name": name, "blocked_by": operation.actor_display})
            user_roles_end(actor=actor, user_id=user_id, organization=organization, operation=operation)
    auth0 = gateway()
    user = membership_end(auth0, organization, user_id)
    app_roles_ended = organization_grants_end(auth0, organization, user_id)
    # Nothing left to end when this run or an earlier one recorded the block above (with the roles, in one
    # transaction); an operation recorded by a version that ended the roles only here, after Auth0, still needs it.
    user_roles_end(actor=actor, user_id=user_id, organization=organization, operation=operation)
    return {"blocked_here": True, "account_exists": user is not None, "app_roles_ended": app_roles_ended}


def user_unblock_here_apply(operation: Operation) -> dict:
    organization: Organization = operation.organization
    operation_actor_load(operation)
    user_id = operation.target
    block = OrganizationBlock.objects.filter(organization=organization, user_id=user_id).first()
    if block is None:
        return {"unblocked_here": True}  # an earlier run finished and was cut off before saying so
    auth0 = gateway()
    try:
        user = auth0.user_get(user_id=user_id)
    except Auth0NotFound:
        with transaction.atomic():
            block.delete()
            directory_users_delete([user_id])
        raise PermanentFault(f"{block.email or user_id} no longer has an account: there is no one to let back "
                             "in.") from None
    membership_add(auth0, organization, user)
    block.delete()
    return {"unblocked_here": True}
