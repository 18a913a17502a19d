"""Portal roles: appointing organization admins and viewers, removing them, and company admins.

Appointing by email is one act in two halves: :func:`role_grant_request` (what a view calls: checks,
records the Operation, queues it) and :func:`role_grant_apply` (what the task calls: finds the person
among the organization's users in Auth0 and gives them the role, re-checking the actor's rights then).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from organizations.access.authorization import require_company_admin_person, require_org_admin
from organizations.access.guardrails import organization_admins_lock, organizations_only_admin
from organizations.membership import organization_member_by_email
from organizations.models import CompanyAdmin, Organization, OrganizationRole
from organizations.selectors import principal_for_user_id
from portal.audit import audit_record, stored_text
from portal.faults import PermanentFault
from portal.models import Operation, OperationKind
from portal.operations import operation_create, operation_enqueue_on_commit
from portal.principal import Principal

_ROLE_RANK = {OrganizationRole.Role.VIEWER: 1, OrganizationRole.Role.ADMIN: 2, "company_admin": 3}


def _role_label(role: str) -> str:
    """The role as the audit trail's summaries name it (stored: in English, whatever the page's language)."""
    return stored_text(OrganizationRole.Role(role).label).lower()


def _require_not_above(actor: Principal, organization: Organization, role: str, verb: str) -> None:
    if _ROLE_RANK[role] > _ROLE_RANK[actor.role_in(organization.pk)]:
        raise PermissionDenied(_("You cannot grant a role above your own.") if verb == "grant"
                               else _("You cannot remove a role above your own."))


@functools.cache
def _member_lookup(path: str) -> Callable:
    return import_string(path)


def role_grant_request(
    *, actor: Principal, organization: Organization, email: str, role: str, idempotency_key: str | None = None,
) -> OrganizationRole | Operation:
    """Appoint an admin or viewer by email.

    The directory (settings: PORTAL_MEMBER_LOOKUP) answers first: a member with that email gets the role
    at once, and an email that is no member's is refused beside the field. Only when the directory
    cannot tell yet (no full sync since the organization was created) does a task look in Auth0.
    """
    require_org_admin(actor, organization)
    if role not in OrganizationRole.Role.values:
        raise ValidationError({"role": _("Choose admin or viewer.")})
    _require_not_above(actor, organization, role, "grant")
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address, like name@example.com.")}) from None
    lookup = _member_lookup(settings.PORTAL_MEMBER_LOOKUP)(organization, email)
    if len(lookup.members) > 1:
        raise ValidationError({"email": ngettext(
            "%(count)s user of %(organization)s has this email: ask a company admin to appoint the right one.",
            "%(count)s users of %(organization)s have this email: ask a company admin to appoint the right one.",
            len(lookup.members)) % {"count": len(lookup.members), "organization": organization.display_name}})
    if lookup.members:
        user_id, found_email, name = lookup.members[0]
        return role_assign(actor=actor, organization=organization, user_id=user_id, role=role,
                           email=found_email, name=name)
    if lookup.authoritative:
        raise ValidationError({"email": _("No user of %(organization)s has this email.") % {
            "organization": organization.display_name}})
    with transaction.atomic():
        operation = operation_create(
            kind=OperationKind.ROLE_GRANT, actor=actor, organization=organization, target=email,
            payload={"email": email, "role": role}, idempotency_key=idempotency_key,
        )
        audit_record(
            actor=actor, action="role.grant_requested", organization=organization, target_type="user",
            target_id=email, summary=f"Asked to make {email} {_role_label(role)} of {organization.display_name}",
            operation=operation,
        )
        operation_enqueue_on_commit(operation)
    return operation


def role_grant_apply(operation: Operation) -> dict:
    """Find the operation's email among the organization's users and give them the role."""
    organization: Organization = operation.organization
    email, role = operation.payload["email"], operation.payload["role"]
    user = organization_member_by_email(organization, email)
    if user is None:
        raise PermanentFault(f"No user of {organization.display_name} has the email {email}: "
                             "the person must be a user of the organization before they get a role.")
    # The actor's rights are checked again now, not only when the request was made.
    actor = principal_for_user_id(operation.actor_user_id, operation.actor_display)
    role_assign(actor=actor, organization=organization, user_id=user["user_id"], role=role,
                email=user.get("email", ""), name=user.get("name", ""), operation=operation)
    return {"user_id": user["user_id"], "role": role}


def role_assign(
    *, actor: Principal, organization: Organization, user_id: str, role: str, email: str = "", name: str = "",
    operation: Operation | None = None,
) -> OrganizationRole:
    """Give ``user_id`` (known already) the role, replacing a role they had in this organization."""
    require_org_admin(actor, organization)
    _require_not_above(actor, organization, role, "grant")
    with transaction.atomic():
        organization_admins_lock(user_id=user_id, organization=organization)  # the last-admin rule holds
        existing = (
            OrganizationRole.objects.select_for_update().filter(organization=organization, user_id=user_id).first()
        )
        if existing and existing.role == OrganizationRole.Role.ADMIN and role != OrganizationRole.Role.ADMIN:
            _guard_admin_removal(actor=actor, organization=organization, role=existing, confirm=False)
        granted, _created = OrganizationRole.objects.update_or_create(
            organization=organization, user_id=user_id,
            defaults={"role": role, "email": email, "name": name, "granted_by": actor.user_id},
        )
        audit_record(
            actor=actor, action="role.granted", organization=organization, target_type="user", target_id=user_id,
            summary=f"Made {email or name or 'a user'} {_role_label(role)} of {organization.display_name}",
            operation=operation, details={"previous_role": existing.role if existing else None},
        )
    return granted


def _guard_admin_removal(
    *, actor: Principal, organization: Organization, role: OrganizationRole, confirm: bool
) -> None:
    """An org keeps an admin unless a company admin explicitly says otherwise (the last-admin rule is
    ``organizations.access.guardrails``); self-removal is confirmed."""
    if organizations_only_admin(role.user_id, [organization]):
        if not actor.is_company_admin:
            raise ValidationError(_("An organization keeps at least one admin: appoint another admin first."))
        if not confirm:
            raise ValidationError(
                _("This is the organization's last admin. Confirm that the organization should have no admin.")
            )
    if role.user_id == actor.user_id and not actor.is_company_admin and not confirm:
        raise ValidationError(_("This is your own admin role: confirm that you want to give up administering "
                                "this organization."))


def role_revoke(*, actor: Principal, role: OrganizationRole, confirm: bool = False) -> None:
    organization = role.organization
    require_org_admin(actor, organization)
    _require_not_above(actor, organization, role.role, "remove")
    with transaction.atomic():
        organization_admins_lock(user_id=role.user_id, organization=organization)  # the last-admin rule holds
        role = OrganizationRole.objects.select_for_update().get(pk=role.pk)
        if role.role == OrganizationRole.Role.ADMIN:
            _guard_admin_removal(actor=actor, organization=organization, role=role, confirm=confirm)
        role.delete()
        audit_record(
            actor=actor, action="role.revoked", organization=organization, target_type="user",
            target_id=role.user_id,
            summary=f"Removed {role.email or role.name or 'a user'} as {_role_label(role.role)}",
        )


def company_admin_grant(*, actor: Principal | None, user_id: str, email: str = "", name: str = "") -> CompanyAdmin:
    """Make ``user_id`` a company admin. ``actor`` None is the bootstrap management command."""
    if actor is not None:
        require_company_admin_person(actor)
    with transaction.atomic():
        admin, created = CompanyAdmin.objects.get_or_create(
            user_id=user_id, defaults={"email": email, "name": name, "granted_by": actor.user_id if actor else ""}
        )
        if created:
            audit_record(actor=actor, action="company_admin.granted", target_type="user", target_id=user_id,
                         summary=f"Made {email or name or user_id} a company admin")
    return admin


def user_roles_end(*, actor: Principal, user_id: str, organization: Organization | None,
                   operation: Operation | None = None) -> int:
    """End the portal roles of a person who has just left ``organization`` (their roles there), or whose
    account was deleted (``organization`` None: every role, a company admin's too), so no role outlives
    the membership it was granted for. The act that ended the membership was authorized and passed the
    guardrails (``organizations.access.guardrails``); returns how many roles ended."""
    with transaction.atomic():
        roles = OrganizationRole.objects.select_for_update().filter(user_id=user_id).select_related("organization")
        if organization is not None:
            roles = roles.filter(organization=organization)
        ended = list(roles)
        for role in ended:
            role.delete()
            audit_record(
                actor=actor, action="role.revoked", organization=role.organization, target_type="user",
                target_id=user_id, operation=operation,
                summary=f"{role.email or role.name or 'A user'} is no longer {_role_label(role.role)}: "
                        + ("they left the organization" if organization is not None else "their account was deleted"),
            )
        count = len(ended)
        if organization is None:
            for admin in CompanyAdmin.objects.select_for_update().filter(user_id=user_id):
                admin.delete()
                audit_record(actor=actor, action="company_admin.revoked", target_type="user", target_id=user_id,
                             operation=operation,
                             summary=f"{admin.email or admin.name or 'A user'} is no longer a company admin: "
                                     "their account was deleted")
                count += 1
    return count
