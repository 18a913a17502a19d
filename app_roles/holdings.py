"""Who holds which application role, as the directory mirrors it (:class:`~app_roles.models.AppRoleGrant`):
what a person's page shows, what the user lists filter by, and the acts' write-through.

Which Auth0 assignment an organization's grant is follows its membership mode: an Auth0 Organization grants
roles to its members within it (scope ORGANIZATION, hanging on the membership); isolated and shared-connection
organizations grant the user's roles in the tenant (scope TENANT), which several organizations may grant to
the same person, each grant its own row.

What an organization's admins and viewers see of a person's roles is their organization's alone: the roles it
granted, and, where its roles are the tenant's, whether the person holds one it may grant through someone
else's grant (without saying whose). Another organization's labels and grants are never shown to them; company
admins see every grant, with the organization that made it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from app_roles.models import AppRoleGrant, GrantableRole
from organizations.membership import membership_of
from organizations.models import Organization
from portal.principal import Principal
from users.models import DirectoryUser, Membership

TENANT, ORGANIZATION = AppRoleGrant.Scope.TENANT, AppRoleGrant.Scope.ORGANIZATION


def grant_scope(organization: Organization) -> str:
    """The kind of assignment ``organization`` grants: member roles in its Auth0 Organization, or the user's
    roles in the tenant."""
    return ORGANIZATION if membership_of(organization).in_auth0_organizations else TENANT


# -- reads -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HeldRole:
    """One application role a person holds, as the reader may know it."""

    role_id: str
    label: str
    description: str
    # Who granted it, as the reader may be told: an organization's name, or what stands in for one.
    granted_by: str
    # Granted by the organization whose page this is: its admins may take that grant away.
    granted_here: bool
    # The slug of the organization that granted it, where the reader may know it ("" otherwise, or for none).
    granted_by_slug: str = ""


def _grants_of(person: DirectoryUser) -> list[AppRoleGrant]:
    return list(AppRoleGrant.objects.filter(user=person).select_related("role", "organization")
                .order_by("role__name", "role_id", "organization__display_name"))


def _company_view(person: DirectoryUser, organization: Organization | None) -> list[HeldRole]:
    """Every grant, with the organization that made it (company admins)."""
    labels = dict(GrantableRole.objects.filter(organization=organization).values_list("role_id", "label")
                  ) if organization is not None else {}
    held = []
    for grant in _grants_of(person):
        by = grant.organization.display_name if grant.organization else _("Set in Auth0 (no organization granted it)")
        held.append(HeldRole(role_id=grant.role_id, label=labels.get(grant.role_id) or grant.role.name,
                             description=grant.role.description, granted_by=by,
                             granted_here=organization is not None and grant.organization_id == organization.pk,
                             granted_by_slug=grant.organization.slug if grant.organization else ""))
    return held


def _organization_view(person: DirectoryUser, organization: Organization) -> list[HeldRole]:
    """What the organization's admins and viewers may know: its grants, and (for tenant roles) the roles it
    may grant that the person holds through a grant not its own."""
    grantable = {g.role_id: g for g in GrantableRole.objects.filter(organization=organization)}
    scope = grant_scope(organization)
    held: dict[str, HeldRole] = {}
    for grant in _grants_of(person):
        shown = grantable.get(grant.role_id)
        if grant.organization_id == organization.pk:
            label = shown.label if shown else _("%(role)s (no longer grantable here)") % {"role": grant.role.name}
            held[grant.role_id] = HeldRole(role_id=grant.role_id, label=label,
                                           description=shown.description if shown else "",
                                           granted_by=organization.display_name, granted_here=True,
                                           granted_by_slug=organization.slug)
        elif scope == TENANT and grant.scope == TENANT and shown is not None and grant.role_id not in held:
            held[grant.role_id] = HeldRole(role_id=grant.role_id, label=shown.label, description=shown.description,
                                           granted_by=_("Not %(organization)s: held through another grant") % {
                                               "organization": organization.display_name},
                                           granted_here=False)
    return sorted(held.values(), key=lambda h: (h.label.lower(), h.role_id))


def person_app_roles(*, principal: Principal, organization: Organization | None,
                     person: DirectoryUser) -> list[HeldRole]:
    """The application roles ``person`` holds, as ``principal`` may see them on ``organization``'s page (or, with
    none, a company admin's page of every user). The caller has the person from a scoped selector."""
    if principal.is_company_admin:
        return _company_view(person, organization)
    if organization is None or not principal.can_view(organization.pk):
        return []
    return _organization_view(person, organization)


def profile_app_roles(*, user_id: str) -> list[dict[str, str]]:
    """The person's own application roles and who granted each (their data export): the role's name in Auth0,
    and the organization that granted it ("" for none)."""
    return [{"role": grant.role.name, "granted_by": grant.organization.display_name if grant.organization else ""}
            for grant in AppRoleGrant.objects.filter(user__user_id=user_id).select_related("role", "organization")
            .order_by("role__name", "organization__display_name")]


def organization_granted_role_ids(person: DirectoryUser, organization: Organization) -> set[str]:
    """The roles ``organization`` granted ``person`` (by the mirror)."""
    return set(AppRoleGrant.objects.filter(user=person, organization=organization).values_list("role_id", flat=True))


def person_app_roles_assignable(*, organization: Organization, person: DirectoryUser) -> list[GrantableRole]:
    """The organization's grantable roles it has not granted ``person`` (what its admins are offered)."""
    granted = organization_granted_role_ids(person, organization)
    return [g for g in GrantableRole.objects.filter(organization=organization).select_related("role")
            .order_by("label", "role_id") if g.role_id not in granted]


def app_role_holders(organization: Organization, role_id: str, *, outer: str = "user_id") -> Exists:
    """A condition on an organization's memberships (``outer``: the field holding the person's directory row):
    the person holds ``role_id`` as the organization grants it: as its member (an Auth0 Organization), or in
    the tenant, granted by anyone (isolated and shared connections). An index-only probe or scan
    (``app_role_grant_user``, ``app_role_grant_holders``)."""
    grants = AppRoleGrant.objects.filter(user_id=OuterRef(outer), role_id=role_id)
    if grant_scope(organization) == ORGANIZATION:
        return Exists(grants.filter(scope=ORGANIZATION, organization=organization))
    return Exists(grants.filter(scope=TENANT))


def app_role_holders_anywhere(role_id: str, *, outer: str = "pk") -> Exists:
    """A condition on directory users: they hold ``role_id``, in the tenant or in any Auth0 Organization (the
    company admins' list of every user)."""
    return Exists(AppRoleGrant.objects.filter(user_id=OuterRef(outer), role_id=role_id))


# -- the acts' write-through --------------------------------------------------------------------------------
def grant_record(person: DirectoryUser, role_id: str, organization: Organization, *,
                 now: dt.datetime) -> AppRoleGrant:
    """Record that ``organization`` granted ``role_id`` to ``person`` (Auth0 has just said yes). A tenant role
    the mirror had as granted by nobody is now this organization's grant."""
    scope = grant_scope(organization)
    membership = (Membership.objects.filter(organization=organization, user=person).first()
                  if scope == ORGANIZATION else None)
    with transaction.atomic():
        if scope == TENANT:
            AppRoleGrant.objects.filter(user=person, role_id=role_id, organization__isnull=True).delete()
        grant, _ = AppRoleGrant.objects.update_or_create(
            user=person, role_id=role_id, organization=organization,
            defaults={"scope": scope, "membership": membership, "confirmed_at": now},
            create_defaults={"scope": scope, "membership": membership, "confirmed_at": now, "granted_at": now})
    return grant


def grants_elsewhere(person: DirectoryUser, role_id: str, organization: Organization) -> list[int]:
    """The other organizations whose grant of the tenant role ``role_id`` to ``person`` keeps it in Auth0
    when ``organization`` takes its own away (their primary keys; for the log and the result, never a page)."""
    return list(AppRoleGrant.objects.filter(user=person, role_id=role_id, scope=TENANT, organization__isnull=False)
                .exclude(organization=organization).values_list("organization_id", flat=True))


def grant_forget(person: DirectoryUser, role_id: str, organization: Organization, *, everyone: bool) -> int:
    """Forget ``organization``'s grant of ``role_id`` to ``person``; with ``everyone`` (Auth0 no longer has the
    role: this was the last grant), every row of it in that scope, the one of nobody included."""
    rows = AppRoleGrant.objects.filter(user=person, role_id=role_id)
    if everyone:
        rows = rows.filter(Q(scope=TENANT) if grant_scope(organization) == TENANT else Q(organization=organization))
    else:
        rows = rows.filter(organization=organization)
    deleted, _ = rows.delete()
    return deleted
