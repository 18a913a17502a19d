"""Assigning and removing an application role on a person: two acts, each in two halves as every operation is
(docs/adding-an-act.md).

- The request (:func:`app_role_assign_request`, :func:`app_role_remove_request`: what the user page, and the API,
  a selection or a bulk row built on them, call): the person must be one the actor may act on in that
  organization (its admins, the guardrails kept), the role one the organization may grant
  (``app_roles.catalog.grantable_role_check``); a refusal is a ValidationError on the ``role`` field and records
  nothing. Otherwise one transaction records the Operation (target: the person, so acts on them run one at a
  time, in order) and its audit event, and queues the task.
- The apply (the task): the same checks again, as things are then; the Auth0 call the organization's
  membership mode needs (an Auth0 Organization's member roles, else the user's roles in the tenant); the
  write-through to the directory's mirror; the outcome audited with the organization's grants before and after.

In the shared connection mode several organizations may grant one person the same tenant role. Each grant is a
row of the mirror, and an organization's removal takes away its own grant only: Auth0 loses the role with the
last grant alone. Both acts are idempotent in effect: a retry finds the role there, or gone. The person's row
is held while the grants are read and written, so two acts (or an act and a sync) on one person's roles are
served one after the other.

An invitation asked for with roles assigns them once its person is ready, as follow-up operations of this act
(:func:`invitation_app_roles_request`), each checked, carried out, retried and audited on its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from app_roles.catalog import grantable_role_check, grantable_role_get
from app_roles.holdings import (
    ORGANIZATION,
    grant_forget,
    grant_record,
    grant_scope,
    grants_elsewhere,
    organization_granted_role_ids,
)
from app_roles.models import GrantableRole, TenantRole
from auth0_gateway import Auth0Gateway, Auth0NotFound, gateway
from organizations.access.guardrails import PersonAct
from organizations.models import Organization
from portal.audit import audit_record
from portal.faults import PermanentFault
from portal.models import Operation, OperationKind
from portal.operations import operation_create, operation_enqueue_on_commit
from portal.principal import Principal
from portal.web.refusals import refusal_of
from users.acts.rules import operation_subject_load, user_rights_check
from users.directory.selectors import user_get
from users.models import DirectoryUser

_UNFINISHED = (Operation.Status.PENDING, Operation.Status.RUNNING)
# What an act on a person's roles is to the guardrails: within the organization, leaving their account and
# their access to it alone (an organization's admins assign its roles to anyone it has, alone or not).
ACT = PersonAct.KEEPS_ACCESS


def _label(organization: Organization, role_id: str) -> str:
    """How the organization's pages name the role: its label there, else the tenant's name for it (a role the
    organization granted and may no longer grant), else "this role"."""
    grantable = GrantableRole.objects.filter(organization=organization, role_id=role_id).values_list(
        "label", flat=True).first()
    return grantable or TenantRole.objects.filter(pk=role_id).values_list("name", flat=True).first() or "this role"


def _granted_labels(person: DirectoryUser, organization: Organization) -> list[str]:
    """The organization's grants to ``person``, by label: the before and after its audit events show."""
    return sorted(_label(organization, role_id) for role_id in organization_granted_role_ids(person, organization))


def _names(organization: Organization, person: DirectoryUser, role_id: str) -> dict[str, str]:
    """What a refusal names: the person, the organization and the role (as its pages name it)."""
    return {"person": person.display_name, "organization": organization.display_name,
            "role": _label(organization, role_id)}


def _on_its_way(kind: str, organization: Organization, person: DirectoryUser, role_id: str) -> bool:
    return Operation.objects.filter(kind=kind, organization=organization, target=person.user_id,
                                    payload__role_id=role_id, status__in=_UNFINISHED).exists()


def app_role_assign_check(actor: Principal, organization: Organization, person: DirectoryUser, role_id: str) -> None:
    """Whether ``actor`` may give ``person`` the role now (PermissionDenied, or ValidationError on ``role``)."""
    user_rights_check(actor, organization, person, ACT)
    if errors := grantable_role_check(organization, [role_id]):
        raise ValidationError({"role": errors[0]})
    if role_id in organization_granted_role_ids(person, organization):
        raise ValidationError({"role": _("%(person)s already holds %(role)s, granted by %(organization)s.")
                                       % _names(organization, person, role_id)})
    if _on_its_way(OperationKind.APP_ROLE_ASSIGN, organization, person, role_id):
        raise ValidationError({"role": _("%(role)s is already on its way to %(person)s.")
                                       % _names(organization, person, role_id)})


def app_role_remove_check(actor: Principal, organization: Organization, person: DirectoryUser, role_id: str) -> None:
    """Whether ``actor`` may take ``organization``'s grant of the role from ``person`` now. Only a role the
    organization granted: one it may grant but did not (held through another grant) is not its to take; one it
    granted and may no longer grant, it may still take back."""
    user_rights_check(actor, organization, person, ACT)
    if role_id not in organization_granted_role_ids(person, organization):
        if errors := grantable_role_check(organization, [role_id]):
            raise ValidationError({"role": errors[0]})
        raise ValidationError({"role": _("%(organization)s has not granted %(person)s %(role)s: there is no grant of "
                                         "its own to remove.") % _names(organization, person, role_id)})
    if _on_its_way(OperationKind.APP_ROLE_REMOVE, organization, person, role_id):
        raise ValidationError({"role": _("%(role)s is already being removed.") % _names(organization, person, role_id)})


def app_role_remove_refusal(actor: Principal, organization: Organization, person: DirectoryUser, role_id: str) -> str:
    """Why ``actor`` may not remove the role ("" if they may): what a confirmation page says first."""
    return refusal_of(lambda: app_role_remove_check(actor, organization, person, role_id))


def _record(kind: str, actor: Principal, organization: Organization, person: DirectoryUser, role_id: str, *,
            summary: str, idempotency_key: str | None, via: str = "") -> Operation:
    label = _label(organization, role_id)
    before = _granted_labels(person, organization)
    after = sorted({*before, label}) if kind == OperationKind.APP_ROLE_ASSIGN else [b for b in before if b != label]
    payload = {"user_id": person.user_id, "email": person.email, "name": person.display_name, "role_id": role_id,
               "label": label, **({"via": via} if via else {})}
    with transaction.atomic():
        operation = operation_create(kind=kind, actor=actor, organization=organization, target=person.user_id,
                                     payload=payload, idempotency_key=idempotency_key)
        audit_record(actor=actor, action=f"{kind}.requested", organization=organization, target_type="user",
                     target_id=person.user_id, summary=summary.format(label=label, name=person.display_name),
                     operation=operation, details={"role_id": role_id, "label": label, "before": before,
                                                   "after": after})
        operation_enqueue_on_commit(operation)
    return operation


def _request(kind: str, check: Callable[[Principal, Organization, DirectoryUser, str], None], summary: str, *,
             actor: Principal, organization: Organization, user_id: str, role_id: str,
             idempotency_key: str | None) -> Operation:
    if idempotency_key and (done := Operation.objects.filter(idempotency_key=idempotency_key).first()):
        return done
    person = user_get(principal=actor, organization=organization, user_id=user_id)  # 404 outside the scope
    check(actor, organization, person, role_id)
    return _record(kind, actor, organization, person, role_id, summary=summary, idempotency_key=idempotency_key)


def app_role_assign_request(*, actor: Principal, organization: Organization, user_id: str, role_id: str,
                            idempotency_key: str | None = None) -> Operation:
    """Give the organization's user ``user_id`` the application role ``role_id`` (404 outside the actor's
    scope). With ``idempotency_key``, asking again returns the operation the first request recorded."""
    return _request(OperationKind.APP_ROLE_ASSIGN, app_role_assign_check, "Asked to give {name} the application role "
                    "{label}", actor=actor, organization=organization, user_id=user_id, role_id=role_id,
                    idempotency_key=idempotency_key)


def app_role_remove_request(*, actor: Principal, organization: Organization, user_id: str, role_id: str,
                            idempotency_key: str | None = None) -> Operation:
    """Take the organization's grant of ``role_id`` from its user ``user_id`` (Auth0 loses the role unless
    another organization granted it too)."""
    return _request(OperationKind.APP_ROLE_REMOVE, app_role_remove_check, "Asked to take the application role "
                    "{label} from {name}", actor=actor, organization=organization, user_id=user_id, role_id=role_id,
                    idempotency_key=idempotency_key)


def invitation_app_roles_request(invitation: Operation, *, user_id: str, actor: Principal) -> list[Operation]:
    """The roles an invitation was asked with (``payload["app_role_ids"]``), for the person it has just made ready
    (``user_id``, in the directory): one assignment operation each, under the inviting admin's name, keyed by the
    invitation so that a retried invitation queues none twice. Checked when each runs (rights, grantability),
    not here: an invitation that made its person ready is not undone by a role it may no longer grant."""
    organization: Organization = invitation.organization
    person = DirectoryUser.objects.filter(user_id=user_id).first()
    queued = []
    for role_id in invitation.payload.get("app_role_ids") or []:
        key = f"{invitation.pk}:app_role:{role_id}"
        if person is None or Operation.objects.filter(idempotency_key=key).exists():
            continue
        queued.append(_record(OperationKind.APP_ROLE_ASSIGN, actor, organization, person, role_id,
                              summary="Asked with the invitation to give {name} the application role {label}",
                              idempotency_key=key, via="invitation"))
    return queued


# -- the task's halves --------------------------------------------------------------------------------------
def _person_locked(person: DirectoryUser) -> None:
    """Hold the person's directory row until the transaction ends: their grants are read and written one act (or
    sync) at a time."""
    DirectoryUser.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True).first()


def _outcome(person: DirectoryUser, organization: Organization, role_id: str, before: list[str], **more) -> dict:
    return {"user_id": person.user_id, "role_id": role_id, "label": _label(organization, role_id), "before": before,
            "after": _granted_labels(person, organization), **more}


def app_role_assign_apply(operation: Operation) -> dict:
    """Give the role in Auth0 (holding it already changes nothing there) and record the organization's grant."""
    organization: Organization = operation.organization
    _actor, person = operation_subject_load(operation, ACT)
    role_id = operation.payload["role_id"]
    grantable = grantable_role_get(organization, role_id)
    if grantable is None:
        raise PermanentFault(f"{operation.payload.get('label') or 'This role'} is no longer an application role "
                             f"{organization.display_name} may grant.")
    auth0 = gateway()
    with transaction.atomic():
        _person_locked(person)
        before = _granted_labels(person, organization)
        try:
            if grant_scope(organization) == ORGANIZATION:
                auth0.organization_member_roles_assign(organization_id=organization.auth0_organization_id,
                                                       user_id=person.user_id, role_ids=[role_id])
            else:
                auth0.user_roles_assign(user_id=person.user_id, role_ids=[role_id])
        except Auth0NotFound as exc:
            raise PermanentFault(f"Auth0 could not give {person.display_name} {grantable.label}: "
                                 f"{exc.message}") from None
        grant_record(person, role_id, organization, now=timezone.now())
        return _outcome(person, organization, role_id, before)


def app_role_remove_apply(operation: Operation) -> dict:
    """Take the organization's grant away; Auth0 loses the role only if no other organization granted it (a
    member role is the organization's alone). A retry after it went finds it gone."""
    organization: Organization = operation.organization
    _actor, person = operation_subject_load(operation, ACT)
    role_id = operation.payload["role_id"]
    auth0 = gateway()
    with transaction.atomic():
        _person_locked(person)
        before = _granted_labels(person, organization)
        if role_id not in organization_granted_role_ids(person, organization):
            return _outcome(person, organization, role_id, before, removed_in_auth0=False, already_gone=True)
        others = grants_elsewhere(person, role_id, organization) if grant_scope(organization) != ORGANIZATION else []
        if not others:
            try:
                if grant_scope(organization) == ORGANIZATION:
                    auth0.organization_member_roles_remove(organization_id=organization.auth0_organization_id,
                                                           user_id=person.user_id, role_ids=[role_id])
                else:
                    auth0.user_roles_remove(user_id=person.user_id, role_ids=[role_id])
            except Auth0NotFound:
                pass  # the role, the user or the membership is gone from Auth0: so is the role they held
        grant_forget(person, role_id, organization, everyone=not others)
        return _outcome(person, organization, role_id, before, removed_in_auth0=not others,
                        kept_by_other_grants=len(others))


def organization_grants_end(auth0: Auth0Gateway, organization: Organization, user_id: str) -> list[str]:
    """The person's membership of ``organization`` has just ended (removed, blocked there, an invitation to
    join revoked): its grants of tenant roles to them end too, as its member roles in an Auth0 Organization end
    with the membership. Only its own grants: Auth0 loses a role only when no other organization's grant keeps
    it. Returns the labels of the grants ended (the operation's result says them). Idempotent: a retry finds
    them gone."""
    if grant_scope(organization) == ORGANIZATION:
        return []  # ended with the membership, in Auth0 and (the membership's rows cascade) in the mirror
    person = DirectoryUser.objects.filter(user_id=user_id).first()
    if person is None:
        return []  # no account left: its holdings went with it
    ended = []
    with transaction.atomic():
        _person_locked(person)
        for role_id in sorted(organization_granted_role_ids(person, organization)):
            label = _label(organization, role_id)
            others = grants_elsewhere(person, role_id, organization)
            if not others:
                with contextlib.suppress(Auth0NotFound):  # the user or the role is gone: so is the holding
                    auth0.user_roles_remove(user_id=person.user_id, role_ids=[role_id])
            grant_forget(person, role_id, organization, everyone=not others)
            ended.append(label)
    return ended

