"""Reads of organizations and roles, always scoped by the acting principal in the query itself."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from organizations.models import CompanyAdmin, Organization, OrganizationDomain, OrganizationRole
from portal.models import AuditEvent, Operation
from portal.principal import ANONYMOUS, Principal


def principal_for_user_id(user_id: str, display: str = "") -> Principal:
    """The portal roles of an Auth0 user id, as the database grants them now (the settings'
    ``PORTAL_PRINCIPAL_LOADER``; tasks call it too, to re-check an actor's rights when they run)."""
    if not user_id:
        return ANONYMOUS
    return Principal(
        user_id=user_id,
        display=display or user_id,
        is_company_admin=CompanyAdmin.objects.filter(user_id=user_id).exists(),
        org_roles=dict(OrganizationRole.objects.filter(user_id=user_id).values_list("organization_id", "role")),
    )


def organization_list(*, principal: Principal, search: str = "") -> QuerySet[Organization]:
    """Every organization for a company admin; for anyone else, those they hold a role in."""
    if not principal.is_authenticated:
        return Organization.objects.none()
    # The logo (up to 256 KB each) is read only where it is served (organization_by_slug_public).
    qs = Organization.objects.defer("logo")
    if not principal.is_company_admin:
        qs = qs.filter(roles__user_id=principal.user_id)
    if search:
        qs = qs.filter(
            Q(display_name__icontains=search) | Q(slug__icontains=search) | Q(domains__domain__icontains=search)
        ).distinct()
    return qs.order_by("display_name")


def organization_get(*, principal: Principal, slug: str) -> Organization:
    """The organization if the principal may see it, else 404 (never 403: no hint that it exists)."""
    return get_object_or_404(organization_list(principal=principal), slug=slug)


def organization_administered_get(*, principal: Principal, slug: str) -> Organization:
    """The organization if the principal administers it (company admin or org admin), else 404."""
    qs = organization_list(principal=principal)
    if not principal.is_company_admin:
        qs = qs.filter(roles__user_id=principal.user_id, roles__role=OrganizationRole.Role.ADMIN)
    return get_object_or_404(qs, slug=slug)


def organization_for_email(email: str) -> Organization | None:
    """Home-realm discovery: the organization that claims the email's domain (public, unscoped)."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    match = OrganizationDomain.objects.select_related("organization").filter(domain=domain).first()
    return match.organization if match else None


def organization_by_slug_public(slug: str) -> Organization | None:
    """For public pages only (the bookmarkable sign-in link, logo, theme): nothing but branding and
    which connection to send the browser to is ever shown from it."""
    return Organization.objects.filter(slug=slug).first()


def role_list(*, principal: Principal, organization: Organization) -> QuerySet[OrganizationRole]:
    return OrganizationRole.objects.filter(
        organization__in=organization_list(principal=principal), organization=organization
    )


def role_get(*, principal: Principal, organization: Organization, role_id: int) -> OrganizationRole:
    return get_object_or_404(role_list(principal=principal, organization=organization), pk=role_id)


def operation_list(*, principal: Principal, organization: Organization) -> QuerySet[Operation]:
    return Operation.objects.filter(
        organization__in=organization_list(principal=principal), organization=organization
    ).order_by("-created_at")


def operation_get(*, principal: Principal, organization: Organization, operation_id) -> Operation:
    return get_object_or_404(operation_list(principal=principal, organization=organization), pk=operation_id)


def audit_event_list(*, principal: Principal, organization: Organization) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        organization__in=organization_list(principal=principal), organization=organization
    ).order_by("-occurred_at", "-id")
