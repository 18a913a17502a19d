"""Reads of organizations and roles, always scoped by the acting principal in the query itself."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.module_loading import import_string

from organizations.models import (
    API_CLIENT_SUFFIX,
    API_WRITE_PERMISSIONS,
    ApiClient,
    CompanyAdmin,
    Organization,
    OrganizationDomain,
    OrganizationRole,
)
from portal.keyset import SortKey
from portal.models import AuditEvent, Operation
from portal.principal import ANONYMOUS, Principal


def principal_for_user_id(user_id: str, display: str = "") -> Principal:
    """The portal roles of an Auth0 user id, as the database grants them now (the settings'
    ``PORTAL_PRINCIPAL_LOADER``; tasks call it too, to re-check an actor's rights when they run). A machine
    actor of a package above (a SCIM provider) is made by the function ``PORTAL_MACHINE_PRINCIPALS`` names."""
    if not user_id:
        return ANONYMOUS
    for prefix, loader in settings.PORTAL_MACHINE_PRINCIPALS.items():
        if user_id.startswith(prefix) and "|" not in user_id:
            return import_string(loader)(user_id)
    if user_id.endswith(API_CLIENT_SUFFIX) and "|" not in user_id:
        return api_client_principal(api_client_for_subject(user_id), user_id)
    return Principal(
        user_id=user_id,
        display=display or user_id,
        is_company_admin=CompanyAdmin.objects.filter(user_id=user_id).exists(),
        org_roles=dict(OrganizationRole.objects.filter(user_id=user_id).values_list("organization_id", "role")),
    )


def api_client_for_subject(subject: str) -> ApiClient | None:
    """The active registration of the machine client whose tokens have ``sub`` ``subject``, or None."""
    if not subject.endswith(API_CLIENT_SUFFIX):
        return None
    client_id = subject.removesuffix(API_CLIENT_SUFFIX)
    return ApiClient.objects.filter(client_id=client_id, active=True).prefetch_related("organizations").first()


def api_client_principal(client: ApiClient | None, subject: str = "") -> Principal:
    """What a registered machine client may reach, as a principal, so that every selector and service scopes
    and re-checks it by the same rules as a person: a client of every organization is treated as a company
    admin, any other as an admin (with a permission that writes) or a viewer of its organizations. Which
    acts it may ask for at all is its permissions' business (the API checks them with the token's scopes).
    An unregistered or disabled client has no organization at all."""
    if client is None:
        return Principal(user_id=subject, display=subject, is_machine=True)
    role = (OrganizationRole.Role.ADMIN if API_WRITE_PERMISSIONS & set(client.permissions)
            else OrganizationRole.Role.VIEWER)
    return Principal(
        user_id=client.subject,
        display=f"{client.name} (API client)",
        is_company_admin=client.all_organizations,
        org_roles={} if client.all_organizations else {o.pk: str(role) for o in client.organizations.all()},
        is_machine=True,
    )


def api_client_list(*, principal: Principal) -> QuerySet[ApiClient]:
    """The registered machine clients: company admins only."""
    if not principal.is_company_admin:
        return ApiClient.objects.none()
    return ApiClient.objects.prefetch_related("organizations").order_by("name", "client_id")


def organization_list(*, principal: Principal, search: str = "") -> QuerySet[Organization]:
    """Every organization for a company admin; for anyone else, those they hold a role in."""
    if not principal.is_authenticated:
        return Organization.objects.none()
    # The logo (up to 256 KB each) is read only where it is served (organization_by_slug_public).
    qs = Organization.objects.defer("logo")
    if not principal.is_company_admin:
        # The roles the principal was loaded with (a person's from their role rows, an API client's from its
        # registration): one rule for both.
        qs = qs.filter(pk__in=sorted(principal.org_roles))
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
        administered = (pk for pk, role in principal.org_roles.items() if role == OrganizationRole.Role.ADMIN)
        qs = qs.filter(pk__in=sorted(administered))
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


def organization_language_by_slug(slug: str) -> str:
    """An organization's default language, for the people not signed in on its public pages (its sign-in page,
    where its invitations lead): "" when it has none or there is no such organization."""
    return Organization.objects.filter(slug=slug).values_list("default_language", flat=True).first() or ""


def role_list(*, principal: Principal, organization: Organization) -> QuerySet[OrganizationRole]:
    return OrganizationRole.objects.filter(
        organization__in=organization_list(principal=principal), organization=organization
    )


def role_get(*, principal: Principal, organization: Organization, role_id: int) -> OrganizationRole:
    return get_object_or_404(role_list(principal=principal, organization=organization), pk=role_id)


def _scope(principal: Principal, organization: Organization | None) -> Q:
    """Operations' and audit events' scope: one organization the principal may see; or, with none, every
    organization they may see and, for company admins, what happened outside any organization."""
    if organization is not None:
        return Q(organization__in=organization_list(principal=principal), organization=organization)
    if principal.is_company_admin:
        return Q()  # every organization and none: nothing to narrow
    return Q(organization__in=organization_list(principal=principal))


def operation_list(*, principal: Principal, organization: Organization | None) -> QuerySet[Operation]:
    """The organization's operations, newest first (with no organization: every one the principal may see)."""
    if not principal.is_authenticated:
        return Operation.objects.none()
    return Operation.objects.filter(_scope(principal, organization)).order_by("-created_at")


def operation_get(*, principal: Principal, organization: Organization, operation_id) -> Operation:
    return get_object_or_404(operation_list(principal=principal, organization=organization), pk=operation_id)


@dataclass(frozen=True)
class AuditQuery:
    """What the audit trail shows (every part optional)."""

    # Part of the actor's name or email, or their exact Auth0 user id.
    actor: str = ""
    action: str = ""
    # The target ids to match (a user id, an email, or the ids of the users with an email).
    targets: tuple[str, ...] = ()
    # Days, inclusive, in UTC.
    occurred_from: dt.date | None = None
    occurred_to: dt.date | None = None
    # Across organizations (company admins): one organization's slug, or NO_ORGANIZATION.
    organization_slug: str = ""


NO_ORGANIZATION = "-"
# The trail's order as keyset paging reads it (portal.keyset; indexes audit_org_newest and audit_newest).
AUDIT_NEWEST_FIRST = [SortKey("occurred_at", descending=True), SortKey("pk", descending=True)]


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def audit_event_list(
    *, principal: Principal, organization: Organization | None, query: AuditQuery = AuditQuery()  # noqa: B008 - frozen
) -> QuerySet[AuditEvent]:
    """The audit events the principal may see (one organization's, or with none every one they may see and,
    for company admins, those outside any organization), matching ``query``, newest first."""
    if not principal.is_authenticated:
        return AuditEvent.objects.none()
    events = AuditEvent.objects.filter(_scope(principal, organization))
    if query.actor:
        events = events.filter(Q(actor_display__icontains=query.actor) | Q(actor_user_id=query.actor))
    if query.action:
        events = events.filter(action=query.action)
    if query.targets:
        events = events.filter(target_id__in=query.targets)
    if query.occurred_from:
        events = events.filter(occurred_at__gte=_day_start(query.occurred_from))
    if query.occurred_to:
        events = events.filter(occurred_at__lt=_day_start(query.occurred_to + dt.timedelta(days=1)))
    if organization is None and query.organization_slug == NO_ORGANIZATION:
        events = events.filter(organization__isnull=True)
    elif organization is None and query.organization_slug:
        # The organization's id as a value (a subquery the database runs first), not a join: so the trail is
        # read from the organization's own index in its order, not from everyone's filtered row by row.
        named = Organization.objects.filter(slug=query.organization_slug).order_by().values("pk")[:1]
        events = events.filter(organization=named)
    return events.order_by("-occurred_at", "-id")
