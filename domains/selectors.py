"""Reads of verified domains, scoped by the acting principal; and home-realm discovery's lookup (public)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from domains.models import Domain
from organizations import selectors as organization_selectors
from organizations.models import Organization
from portal.principal import Principal


def domain_list(*, principal: Principal, organization: Organization) -> QuerySet[Domain]:
    """The organization's domains, when the principal administers it (none otherwise)."""
    administered = organization_selectors.organization_list(principal=principal)
    if not principal.can_admin(organization.pk):
        return Domain.objects.none()
    return Domain.objects.filter(organization__in=administered, organization=organization).select_related(
        "organization")


def domain_get(*, principal: Principal, organization: Organization, domain_id: int) -> Domain:
    return get_object_or_404(domain_list(principal=principal, organization=organization), pk=domain_id)


def organization_for_email(email: str) -> Organization | None:
    """Home-realm discovery: the organization that verified the email's domain, else the one the company's admins
    gave it to (organizations' settings); None when neither."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    verified = Domain.objects.filter(name=domain, status__in=Domain.VERIFIED_STATUSES).select_related(
        "organization").first()
    if verified is not None:
        return verified.organization
    return organization_selectors.organization_for_email(email)
