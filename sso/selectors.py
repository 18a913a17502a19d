"""Reads of SSO connections, scoped by the acting principal; and sign-in's lookup of where to send an email."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from domains.models import Domain
from organizations import selectors as organization_selectors
from organizations.models import Organization
from portal.models import Operation
from portal.principal import Principal
from sso.models import SsoConnection


def sso_connection_list(*, principal: Principal, organization: Organization) -> QuerySet[SsoConnection]:
    """The organization's connections, when the principal administers it (none otherwise)."""
    if not principal.can_admin(organization.pk):
        return SsoConnection.objects.none()
    return SsoConnection.objects.filter(
        organization__in=organization_selectors.organization_list(principal=principal), organization=organization,
    ).select_related("organization")


def sso_connection_get(*, principal: Principal, organization: Organization, connection_id: int) -> SsoConnection:
    return get_object_or_404(sso_connection_list(principal=principal, organization=organization), pk=connection_id)


def sso_connection_operations(connection: SsoConnection) -> QuerySet[Operation]:
    """The connection's operations, newest first (its page shows the last one's progress)."""
    return Operation.objects.filter(organization=connection.organization, target=f"sso:{connection.name}").order_by(
        "-created_at")


def sso_connection_for_email(email: str) -> SsoConnection | None:
    """Home-realm discovery: the connection that is on for the organization that verified the email's domain (the
    first by name when several are), else None. Only a verified domain sends people to an identity provider."""
    domain = email.rpartition("@")[2].strip().lower()
    verified = Domain.objects.filter(name=domain, status__in=Domain.VERIFIED_STATUSES).values("organization")
    return SsoConnection.objects.filter(organization__in=verified, status="on").select_related(
        "organization").order_by("name").first()
