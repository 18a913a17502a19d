"""Writes to organizations and roles. Each service re-checks authorization, owns its transaction,
records an audit event and, where Auth0 must change, an Operation whose task runs after commit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from organizations import validation
from organizations.models import (
    Audience,
    CompanyAdmin,
    MembershipMode,
    MetadataField,
    Organization,
    OrganizationDomain,
    OrganizationRole,
)
from portal.audit import audit_record
from portal.models import Operation
from portal.operations import operation_create, operation_enqueue_on_commit
from portal.principal import Principal


def _require_company_admin(actor: Principal) -> None:
    if not actor.is_company_admin:
        raise PermissionDenied("Only company admins may do this.")


def _require_org_admin(actor: Principal, organization: Organization) -> None:
    if not actor.can_admin(organization.pk):
        raise PermissionDenied("Only this organization's admins may do this.")


def connection_name_default(*, slug: str, membership_mode: str) -> str:
    if membership_mode == MembershipMode.ISOLATED_CONNECTION:
        return f"{slug}-users"
    return settings.AUTH0_SHARED_CONNECTION


def domains_check_free(domains: list[str], *, organization: Organization | None = None) -> None:
    """Raise ValidationError naming every domain another organization already claims."""
    taken = OrganizationDomain.objects.filter(domain__in=domains)
    if organization is not None:
        taken = taken.exclude(organization=organization)
    clashes = [f"{d.domain} ({d.organization.display_name})" for d in taken.select_related("organization")]
    if clashes:
        raise ValidationError({"domains": f"Already claimed by another organization: {', '.join(clashes)}."})


@dataclass(frozen=True)
class Logo:
    content: bytes
    content_type: str


def organization_create(
    *, actor: Principal, slug: str, display_name: str, membership_mode: str, connection_name: str = "",
    domains: list[str], invite_link_lifetime_days: int = 7, accent_colour: str = "#3b5bdb",
    logo: Logo | None = None,
) -> Organization:
    """Create the organization and queue the creation (or linking) of its Auth0 side."""
    _require_company_admin(actor)
    with transaction.atomic():
        domains_check_free(domains)
        organization = Organization(
            slug=slug, display_name=display_name, membership_mode=membership_mode,
            connection_name=connection_name or connection_name_default(slug=slug, membership_mode=membership_mode),
            invite_link_lifetime_days=invite_link_lifetime_days, accent_colour=accent_colour,
        )
        if logo:
            organization.logo, organization.logo_content_type = logo.content, logo.content_type
        organization.full_clean()
        organization.save()
        OrganizationDomain.objects.bulk_create(
            OrganizationDomain(organization=organization, domain=d) for d in domains
        )
        operation = organization_provision_queue(actor=actor, organization=organization)
        audit_record(
            actor=actor, action="organization.created", organization=organization,
            target_type="organization", target_id=organization.slug,
            summary=f"Created organization {organization.display_name} ({organization.get_membership_mode_display()})",
            details={"domains": domains, "connection": organization.connection_name}, operation=operation,
        )
    return organization


def organization_provision_queue(*, actor: Principal, organization: Organization) -> Operation:
    """Queue the task that creates or links the organization's connection / Auth0 Organization."""
    from organizations.tasks import organization_provision

    operation = operation_create(
        kind="organization_provision", actor=actor, organization=organization, target=organization.slug,
        payload={"membership_mode": organization.membership_mode, "connection_name": organization.connection_name},
    )
    operation_enqueue_on_commit(operation, organization_provision)
    return operation


def organization_provision_retry(*, actor: Principal, organization: Organization) -> Operation:
    _require_company_admin(actor)
    if organization.is_provisioned:
        raise ValidationError("This organization is already connected to Auth0.")
    with transaction.atomic():
        operation = organization_provision_queue(actor=actor, organization=organization)
        audit_record(
            actor=actor, action="organization.provision_retried", organization=organization,
            target_type="organization", target_id=organization.slug,
            summary="Retried connecting the organization to Auth0", operation=operation,
        )
    return operation


def organization_auth0_link(
    *, organization: Organization, connection_id: str, auth0_organization_id: str = ""
) -> None:
    """Record the Auth0 ids the provisioning task found or created."""
    Organization.objects.filter(pk=organization.pk).update(
        auth0_connection_id=connection_id, auth0_organization_id=auth0_organization_id
    )
    organization.auth0_connection_id = connection_id
    organization.auth0_organization_id = auth0_organization_id


def organization_update(
    *, actor: Principal, organization: Organization, display_name: str, domains: list[str],
    invite_link_lifetime_days: int, accent_colour: str, logo: Logo | None = None, logo_remove: bool = False,
) -> Organization:
    """Edit what may change after creation. Slug, mode and connection are fixed: users depend on them."""
    _require_company_admin(actor)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        domains_check_free(domains, organization=organization)
        before = {
            "display_name": organization.display_name,
            "domains": sorted(organization.domains.values_list("domain", flat=True)),
            "invite_link_lifetime_days": organization.invite_link_lifetime_days,
            "accent_colour": organization.accent_colour,
        }
        organization.display_name = display_name
        organization.invite_link_lifetime_days = invite_link_lifetime_days
        organization.accent_colour = accent_colour
        if logo:
            organization.logo, organization.logo_content_type = logo.content, logo.content_type
        elif logo_remove:
            organization.logo, organization.logo_content_type = None, ""
        organization.full_clean()
        organization.save()
        organization.domains.exclude(domain__in=domains).delete()
        existing = set(organization.domains.values_list("domain", flat=True))
        OrganizationDomain.objects.bulk_create(
            OrganizationDomain(organization=organization, domain=d) for d in domains if d not in existing
        )
        after = {
            "display_name": display_name, "domains": sorted(domains),
            "invite_link_lifetime_days": invite_link_lifetime_days, "accent_colour": accent_colour,
        }
        changed = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
        if logo or logo_remove:
            changed["logo"] = {"to": "removed" if logo_remove and not logo else "replaced"}
        audit_record(
            actor=actor, action="organization.updated", organization=organization,
            target_type="organization", target_id=organization.slug,
            summary=f"Updated organization settings ({', '.join(changed) or 'no changes'})",
            details={"changes": changed},
        )
    return organization


# --- metadata schema -----------------------------------------------------------------------------------

SCHEMA_FIELD_KEYS = (
    "key", "label", "target", "type", "required", "max_length", "pattern", "choices", "editable_by", "visible_to",
)
_AUDIENCE_ORDER = [a.value for a in Audience]


def metadata_field_errors(field: dict) -> dict[str, str]:
    """What is wrong with one schema field definition (empty when it is valid)."""
    errors: dict[str, str] = {}
    key, target, kind = field.get("key", ""), field.get("target", ""), field.get("type", "")
    if not re.fullmatch(validation.KEY_RE, key or ""):
        errors["key"] = validation.KEY_MESSAGE
    elif key in validation.RESERVED_KEYS.get(target, ()):
        errors["key"] = f"“{key}” is reserved by the portal in {target} and cannot be part of a schema."
    if kind == MetadataField.Type.ENUM:
        choices = field.get("choices") or []
        if len(choices) < 2:
            errors["choices"] = "A choice field needs at least two choices."
        elif len(set(choices)) != len(choices):
            errors["choices"] = "Choices must be different from each other."
    elif field.get("choices"):
        errors["choices"] = "Only choice fields have choices."
    pattern = field.get("pattern") or ""
    if pattern:
        if kind not in (MetadataField.Type.TEXT, MetadataField.Type.PHONE):
            errors["pattern"] = "Only text and phone fields can have a pattern."
        else:
            try:
                re.compile(pattern)
            except re.error as exc:
                errors["pattern"] = f"Not a valid regular expression: {exc}."
    if field.get("max_length") and kind not in (MetadataField.Type.TEXT, MetadataField.Type.PHONE,
                                                  MetadataField.Type.URL, MetadataField.Type.EMAIL):
        errors["max_length"] = "Only text, phone, email and URL fields have a maximum length."
    editable_by, visible_to = field.get("editable_by"), field.get("visible_to")
    if target == MetadataField.Target.APP_METADATA and editable_by == Audience.END_USER:
        errors["editable_by"] = "app_metadata is never editable by the user themselves; choose an admin role."
    if editable_by in _AUDIENCE_ORDER and visible_to in _AUDIENCE_ORDER and (
        _AUDIENCE_ORDER.index(visible_to) > _AUDIENCE_ORDER.index(editable_by)
    ):
        errors["visible_to"] = "Everyone who may edit a field must also be able to see it."
    return errors


def metadata_schema_save(*, actor: Principal, organization: Organization, fields: list[dict]) -> None:
    """Replace the organization's schema with ``fields`` (in order), or change nothing on any error."""
    _require_company_admin(actor)
    errors = {i: e for i, field in enumerate(fields) if (e := metadata_field_errors(field))}
    seen: dict[tuple[str, str], int] = {}
    for i, field in enumerate(fields):
        ident = (field.get("target", ""), field.get("key", ""))
        if ident in seen:
            errors.setdefault(i, {})["key"] = f"“{ident[1]}” appears twice in {ident[0]}."
        seen[ident] = i
    if errors:
        raise ValidationError({"fields": [f"Field {i + 1}: {'; '.join(e.values())}" for i, e in errors.items()]})
    with transaction.atomic():
        before = list(organization.metadata_fields.values(*SCHEMA_FIELD_KEYS))
        organization.metadata_fields.all().delete()
        for position, field in enumerate(fields):
            item = MetadataField(organization=organization, position=position,
                                 **{k: field.get(k) for k in SCHEMA_FIELD_KEYS if k in field})
            item.full_clean(exclude=["organization"])
            item.save()
        audit_record(
            actor=actor, action="organization.schema_updated", organization=organization,
            target_type="organization", target_id=organization.slug,
            summary=f"Updated the metadata schema ({len(fields)} field{'s' if len(fields) != 1 else ''})",
            details={"before": before, "after": fields},
        )


# --- roles ---------------------------------------------------------------------------------------------

_ROLE_RANK = {OrganizationRole.Role.VIEWER: 1, OrganizationRole.Role.ADMIN: 2, "company_admin": 3}


def role_grant_request(*, actor: Principal, organization: Organization, email: str, role: str) -> Operation:
    """Appoint an admin or viewer by email: a task finds that user among the organization's users."""
    _require_org_admin(actor, organization)
    if role not in OrganizationRole.Role.values:
        raise ValidationError({"role": "Choose admin or viewer."})
    if _ROLE_RANK[role] > _ROLE_RANK[actor.role_in(organization.pk)]:
        raise PermissionDenied("You cannot grant a role above your own.")
    from organizations.tasks import role_grant_resolve

    with transaction.atomic():
        operation = operation_create(
            kind="role_grant", actor=actor, organization=organization, target=email,
            payload={"email": email.strip().lower(), "role": role},
        )
        audit_record(
            actor=actor, action="role.grant_requested", organization=organization, target_type="user",
            target_id=email, summary=f"Asked to make {email} {role} of {organization.display_name}",
            operation=operation,
        )
        operation_enqueue_on_commit(operation, role_grant_resolve)
    return operation


def role_grant(
    *, actor: Principal, organization: Organization, user_id: str, role: str, email: str = "", name: str = "",
    operation: Operation | None = None,
) -> OrganizationRole:
    """Give ``user_id`` the role (replacing a role they had in this organization)."""
    _require_org_admin(actor, organization)
    if _ROLE_RANK[role] > _ROLE_RANK[actor.role_in(organization.pk)]:
        raise PermissionDenied("You cannot grant a role above your own.")
    with transaction.atomic():
        existing = (
            OrganizationRole.objects.select_for_update().filter(organization=organization, user_id=user_id).first()
        )
        if existing and existing.role == OrganizationRole.Role.ADMIN and role != OrganizationRole.Role.ADMIN:
            _guard_admin_removal(actor=actor, organization=organization, role=existing, confirm=False)
        granted, _ = OrganizationRole.objects.update_or_create(
            organization=organization, user_id=user_id,
            defaults={"role": role, "email": email, "name": name, "granted_by": actor.user_id},
        )
        audit_record(
            actor=actor, action="role.granted", organization=organization, target_type="user", target_id=user_id,
            summary=f"Made {email or user_id} {role} of {organization.display_name}", operation=operation,
            details={"previous_role": existing.role if existing else None},
        )
    return granted


def _guard_admin_removal(
    *, actor: Principal, organization: Organization, role: OrganizationRole, confirm: bool
) -> None:
    """An org keeps an admin unless a company admin explicitly says otherwise; self-removal is confirmed."""
    others = OrganizationRole.objects.filter(organization=organization, role=OrganizationRole.Role.ADMIN)
    others = others.exclude(pk=role.pk)
    if not others.exists():
        if not actor.is_company_admin:
            raise ValidationError("An organization keeps at least one admin: appoint another admin first.")
        if not confirm:
            raise ValidationError(
                "This is the organization's last admin. Confirm that the organization should have no admin."
            )
    if role.user_id == actor.user_id and not actor.is_company_admin and not confirm:
        raise ValidationError("This is your own admin role: confirm that you want to give up administering "
                              "this organization.")


def role_revoke(*, actor: Principal, role: OrganizationRole, confirm: bool = False) -> None:
    organization = role.organization
    _require_org_admin(actor, organization)
    if _ROLE_RANK[role.role] > _ROLE_RANK[actor.role_in(organization.pk)]:
        raise PermissionDenied("You cannot remove a role above your own.")
    with transaction.atomic():
        role = OrganizationRole.objects.select_for_update().get(pk=role.pk)
        if role.role == OrganizationRole.Role.ADMIN:
            _guard_admin_removal(actor=actor, organization=organization, role=role, confirm=confirm)
        role.delete()
        audit_record(
            actor=actor, action="role.revoked", organization=organization, target_type="user",
            target_id=role.user_id, summary=f"Removed {role.email or role.user_id} as {role.role}",
        )


def company_admin_grant(*, actor: Principal | None, user_id: str, email: str = "", name: str = "") -> CompanyAdmin:
    """Make ``user_id`` a company admin. ``actor`` None is the bootstrap management command."""
    if actor is not None:
        _require_company_admin(actor)
    with transaction.atomic():
        admin, created = CompanyAdmin.objects.get_or_create(
            user_id=user_id, defaults={"email": email, "name": name, "granted_by": actor.user_id if actor else ""}
        )
        if created:
            audit_record(actor=actor, action="company_admin.granted", target_type="user", target_id=user_id,
                         summary=f"Made {email or user_id} a company admin")
    return admin
