"""Writes to organizations: create, update, connecting each to Auth0 (provisioning), and sending one of
an organization's failed operations again.

Each service re-checks authorization, owns its transaction, records an audit event and, where Auth0
must change, an Operation whose task runs after commit. Provisioning is one act in two halves:
:func:`organization_provision_request` (recorded and queued) and :func:`organization_provision_apply`
(what the task runs). Every rule about an organization's fields lives here; forms only show its errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from auth0_gateway import gateway
from organizations import validation
from organizations.access.authorization import require_company_admin
from organizations.membership import MEMBERSHIPS, membership_class, membership_of
from organizations.models import Organization, OrganizationDomain
from portal.audit import audit_record, stored_text
from portal.models import Operation, OperationKind
from portal.operations import operation_create, operation_enqueue_on_commit
from portal.principal import Principal


def connection_name_default(*, slug: str, membership_mode: str) -> str:
    return membership_class(membership_mode).connection_default(slug)


def connection_check_free(*, membership_mode: str, connection_name: str) -> None:
    """An isolated connection's users are exactly one organization's: no other organization, of any
    mode, may sign in through it, and it cannot be the tenant's shared connection (that would make
    every user of the shared connection a member)."""
    name = connection_name.lower()
    others = Organization.objects.filter(connection_name__iexact=name)
    if membership_class(membership_mode).by_own_connection:
        if name == settings.AUTH0_SHARED_CONNECTION.lower():
            raise ValidationError({"connection_name": _(
                "“%(connection)s” is the tenant's shared connection; an isolated organization needs a connection of "
                "its own.") % {"connection": connection_name}})
        other = others.first()
    else:
        other = others.filter(membership_mode__in=[m.mode for m in MEMBERSHIPS.values() if m.by_own_connection]).first()
    if other:
        raise ValidationError({"connection_name": _(
            "%(organization)s already uses the connection “%(connection)s”; an isolated connection belongs to one "
            "organization.") % {"organization": other.display_name, "connection": connection_name}})


def domains_check(domains: list[str], *, organization: Organization | None = None) -> None:
    """Raise ValidationError for a malformed or repeated domain, or one another organization claims."""
    bad = [d for d in domains if not validation.DOMAIN_RE.match(d)]
    if bad:
        raise ValidationError({"domains": _("Not a valid email domain: %(domains)s.") % {"domains": ", ".join(bad)}})
    if len(set(domains)) != len(domains):
        raise ValidationError({"domains": _("A domain is listed twice.")})
    taken = OrganizationDomain.objects.filter(domain__in=domains)
    if organization is not None:
        taken = taken.exclude(organization=organization)
    clashes = [f"{d.domain} ({d.organization.display_name})" for d in taken.select_related("organization")]
    if clashes:
        raise ValidationError({"domains": _("Already claimed by another organization: %(domains)s.") % {
            "domains": ", ".join(clashes)}})


def _validate_all(*checks: Callable[[], None]) -> None:
    """Run every check and raise one ValidationError with all their errors by field, so a form shows
    each beside its field at once instead of one at a time."""
    errors: dict[str, list[str]] = {}
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


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
    require_company_admin(actor)
    connection_name = connection_name.strip() or connection_name_default(slug=slug, membership_mode=membership_mode)
    with transaction.atomic():
        organization = Organization(
            slug=slug, display_name=display_name, membership_mode=membership_mode, connection_name=connection_name,
            invite_link_lifetime_days=invite_link_lifetime_days, accent_colour=accent_colour,
        )
        if logo:
            organization.logo, organization.logo_content_type = logo.content, logo.content_type
        _validate_all(
            organization.full_clean,
            lambda: connection_check_free(membership_mode=membership_mode, connection_name=connection_name),
            lambda: domains_check(domains),
        )
        organization.save()
        OrganizationDomain.objects.bulk_create(
            OrganizationDomain(organization=organization, domain=d) for d in domains
        )
        operation = organization_provision_request(actor=actor, organization=organization)
        audit_record(
            actor=actor, action="organization.created", organization=organization,
            target_type="organization", target_id=organization.slug,
            summary=f"Created organization {organization.display_name} "
                    f"({stored_text(organization.get_membership_mode_display)})",
            details={"domains": domains, "connection": organization.connection_name}, operation=operation,
        )
    return organization


def organization_provision_request(*, actor: Principal, organization: Organization) -> Operation:
    """Queue creating (or linking) the organization's connection or Auth0 Organization; also how a
    company admin retries after a failure."""
    require_company_admin(actor)
    if organization.is_provisioned:
        raise ValidationError(_("This organization is already connected to Auth0."))
    with transaction.atomic():
        operation = operation_create(
            kind=OperationKind.ORGANIZATION_PROVISION, actor=actor, organization=organization,
            target=organization.slug,
            payload={"membership_mode": organization.membership_mode, "connection_name": organization.connection_name},
        )
        audit_record(
            actor=actor, action="organization.provision_requested", organization=organization,
            target_type="organization", target_id=organization.slug,
            summary=f"Asked to connect {organization.display_name} to Auth0", operation=operation,
        )
        operation_enqueue_on_commit(operation)
    return operation


def organization_provision_apply(operation: Operation) -> dict:
    """Find or create what the organization's mode needs in Auth0, and record its ids (idempotent:
    a second run finds what the first created)."""
    organization: Organization = operation.organization
    found = membership_of(organization).provision(gateway())
    _organization_auth0_ids_save(organization, connection_id=found["connection_id"],
                                 auth0_organization_id=found.get("organization_id", ""))
    return found


def _organization_auth0_ids_save(
    organization: Organization, *, connection_id: str, auth0_organization_id: str = ""
) -> None:
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
    require_company_admin(actor)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
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
        _validate_all(organization.full_clean, lambda: domains_check(domains, organization=organization))
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
