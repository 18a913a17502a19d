"""Filling the mirror of who holds which application role from Auth0, which stays the source of truth: a step
of every full directory sync (``users.directory.sync``), and a refresh of one person when Auth0 pushes a change
of their roles (``users.directory.streams``).

- **The full sync** reads the tenant's roles, then each role's holders (``GET /roles/{id}/users``, checkpoint
  pages) and each Auth0 Organization's members with their roles there (``GET /organizations/{id}/members
  ?fields=user_id,roles``, a page of members a call). Each holding read is stamped as confirmed; once a role
  (or an organization) has been read through, the holdings it did not confirm since the pass began are
  removed (they ended in Auth0), while those the acts wrote meanwhile are newer and stay. A tenant role held
  by someone no organization granted it to through the portal is kept as a holding of nobody's grant. The
  step saves its progress after each role and organization, so a run that waits for the Management API
  budget goes on where it stopped.
- **A person's refresh** reads their roles in the tenant and in each Auth0 Organization the directory has them
  in, and makes their holdings say the same.

People Auth0 lists whom the directory does not have yet are left to the sync that brings them in.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from app_roles.catalog import tenant_roles_refresh, tenant_roles_write
from app_roles.holdings import ORGANIZATION, TENANT
from app_roles.models import AppRoleGrant, TenantRole
from auth0_gateway import Auth0NotFound, OrganizationMember, Role, gateway
from organizations.membership import modes_in_auth0_organizations
from organizations.models import Organization
from portal.celery import app
from users.models import DirectoryUser, Membership

REFRESH_TASK = "app_roles.tasks.person_app_roles_refresh"
# While a refresh of a person's roles is queued and not started, more requests for them add nothing.
QUEUED_FOR_SECONDS = 300
BATCH = 1000


# -- the full sync --------------------------------------------------------------------------------------------
def _batches(items: Iterable, size: int = BATCH) -> Iterator[list]:
    items = iter(items)
    while chunk := list(itertools.islice(items, size)):
        yield chunk


def tenant_role_holders_confirm(role_id: str, user_ids: list[str], *, when: dt.datetime) -> None:
    """Record that Auth0 listed ``user_ids`` (a batch) as holding the tenant role ``role_id`` at ``when``: their
    holdings stamped as confirmed, a holding of nobody's grant made for those who had none."""
    pks = list(DirectoryUser.objects.filter(user_id__in=user_ids).values_list("pk", flat=True))
    with transaction.atomic():
        held = AppRoleGrant.objects.filter(role_id=role_id, scope=TENANT, user_id__in=pks)
        held.update(confirmed_at=when)
        having = set(held.values_list("user_id", flat=True))
        AppRoleGrant.objects.bulk_create(
            [AppRoleGrant(user_id=pk, role_id=role_id, scope=TENANT, granted_at=when, confirmed_at=when)
             for pk in pks if pk not in having], ignore_conflicts=True)


def organization_member_roles_confirm(organization: Organization, members: list[OrganizationMember], *,
                                      when: dt.datetime) -> None:
    """Record that Auth0 listed ``members`` (a batch, each with their ``roles`` in the organization) at
    ``when``: each member role stamped as confirmed, or made, on the member's membership."""
    seen = {role["id"]: role for member in members for role in member.get("roles") or [] if role.get("id")}
    known = set(TenantRole.objects.filter(pk__in=seen).values_list("pk", flat=True))
    tenant_roles_write(role for role_id, role in seen.items() if role_id not in known)
    memberships = {user_id: (pk, user_pk) for pk, user_pk, user_id in Membership.objects.filter(
        organization=organization, user__user_id__in=[m["user_id"] for m in members]).values_list(
        "pk", "user_id", "user__user_id")}
    wanted = {(memberships[m["user_id"]], role["id"]) for m in members if m["user_id"] in memberships
              for role in m.get("roles") or []}
    with transaction.atomic():
        held = AppRoleGrant.objects.filter(organization=organization, scope=ORGANIZATION,
                                           user_id__in=[user_pk for _, user_pk in memberships.values()])
        having = set(held.values_list("user_id", "role_id"))
        confirmed: dict[str, list[int]] = {}
        for (_, user_pk), role_id in wanted:
            if (user_pk, role_id) in having:
                confirmed.setdefault(role_id, []).append(user_pk)
        for role_id, user_pks in confirmed.items():
            held.filter(role_id=role_id, user_id__in=user_pks).update(confirmed_at=when)
        AppRoleGrant.objects.bulk_create(
            [AppRoleGrant(user_id=user_pk, role_id=role_id, scope=ORGANIZATION, organization=organization,
                          membership_id=membership_pk, granted_at=when, confirmed_at=when)
             for (membership_pk, user_pk), role_id in wanted if (user_pk, role_id) not in having],
            ignore_conflicts=True)


def _prune(rows, *, confirmed_before: dt.datetime) -> int:
    """Remove the holdings among ``rows`` that Auth0 has not confirmed since ``confirmed_before``."""
    removed, _ = rows.filter(confirmed_at__lt=confirmed_before).delete()
    return removed


def _role_sync(role_id: str, started: dt.datetime) -> None:
    for chunk in _batches(u["user_id"] for u in gateway().role_users(role_id=role_id)):
        tenant_role_holders_confirm(role_id, chunk, when=started)
    _prune(AppRoleGrant.objects.filter(role_id=role_id, scope=TENANT), confirmed_before=started)


def _organization_sync(organization: Organization, started: dt.datetime) -> None:
    members = gateway().organization_members_roles(organization_id=organization.auth0_organization_id)
    for chunk in _batches(members):
        organization_member_roles_confirm(organization, chunk, when=started)
    _prune(AppRoleGrant.objects.filter(organization=organization, scope=ORGANIZATION), confirmed_before=started)


def _auth0_organizations(organization: Organization | None) -> list[Organization]:
    found = Organization.objects.filter(membership_mode__in=modes_in_auth0_organizations()).exclude(
        auth0_organization_id="").order_by("pk")
    return list(found if organization is None else found.filter(pk=organization.pk))


def app_roles_sync(*, organization: Organization | None, progress: dict,
                   save: Callable[[dict], None]) -> dict:
    """The full sync's step for application roles (the whole tenant's, or, for one organization's sync, that
    Auth0 Organization's member roles), going on from ``progress`` (what an earlier try of the step saved) and
    saving it with ``save`` after each role and organization. Returns what it did."""
    progress = {"started": timezone.now().isoformat(), "done": [], **progress}
    started = dt.datetime.fromisoformat(progress["started"])
    done: list[str] = list(progress["done"])

    def finished(key: str) -> None:
        done.append(key)
        save({**progress, "done": list(done)})

    if organization is None:
        if "roles" not in done:
            tenant_roles_refresh()
            finished("roles")
        for role_id in TenantRole.objects.order_by("pk").values_list("pk", flat=True):
            if f"role:{role_id}" not in done:
                _role_sync(role_id, started)
                finished(f"role:{role_id}")
    for auth0_organization in _auth0_organizations(organization):
        if f"organization:{auth0_organization.pk}" not in done:
            _organization_sync(auth0_organization, started)
            finished(f"organization:{auth0_organization.pk}")
    return {"roles_and_organizations_read": len(done)}


# -- one person ------------------------------------------------------------------------------------------------
def _queued_key(user_id: str) -> str:
    return f"app_roles:refresh-queued:{user_id}"


def person_app_roles_refresh_request(user_id: str) -> bool:
    """Queue a refresh of ``user_id``'s roles (after the current transaction commits); False if one is queued
    already and has not started."""
    if not cache.add(_queued_key(user_id), 1, timeout=QUEUED_FOR_SECONDS):
        return False
    transaction.on_commit(lambda: app.send_task(REFRESH_TASK, args=[user_id]))
    return True


def _person_holdings_set(person: DirectoryUser, rows, held: list[Role], make: Callable[[str], AppRoleGrant],
                         now: dt.datetime) -> None:
    """Make ``rows`` (the person's holdings of one kind) say ``held``: those gone removed, the others confirmed,
    the missing ones made by ``make``."""
    held_ids = {role["id"] for role in held}
    rows.exclude(role_id__in=held_ids).delete()
    rows.filter(role_id__in=held_ids).update(confirmed_at=now)
    having = set(rows.values_list("role_id", flat=True))
    AppRoleGrant.objects.bulk_create([make(role_id) for role_id in held_ids - having], ignore_conflicts=True)


def person_app_roles_refresh(*, user_id: str) -> str:
    """Read ``user_id``'s roles from Auth0 (in the tenant, and in each Auth0 Organization the directory has them
    in) and make the mirror say the same: ``"updated"``, or ``"unknown"`` for someone the directory (or Auth0)
    does not have."""
    cache.delete(_queued_key(user_id))
    person = DirectoryUser.objects.filter(user_id=user_id).first()
    if person is None:
        return "unknown"
    auth0 = gateway()
    try:
        tenant_roles = auth0.user_roles(user_id=user_id)
    except Auth0NotFound:
        return "unknown"  # deleted in Auth0: the directory's own refresh removes them
    member_roles: dict[int, tuple[int, list[Role]]] = {}
    for membership in Membership.objects.filter(user=person, organization__in=_auth0_organizations(None)
                                                ).select_related("organization"):
        try:
            member_roles[membership.organization_id] = (membership.pk, auth0.organization_member_roles(
                organization_id=membership.organization.auth0_organization_id, user_id=user_id))
        except Auth0NotFound:
            continue  # no longer a member: the membership (and its roles) go with the directory's refresh
    tenant_roles_write([*tenant_roles, *(r for _, roles in member_roles.values() for r in roles)])
    now = timezone.now()
    with transaction.atomic():
        DirectoryUser.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True).first()
        _person_holdings_set(person, AppRoleGrant.objects.filter(user=person, scope=TENANT), tenant_roles,
                             lambda role_id: AppRoleGrant(user=person, role_id=role_id, scope=TENANT,
                                                          granted_at=now, confirmed_at=now), now)
        for organization_id, (membership_pk, roles) in member_roles.items():
            _person_holdings_set(
                person, AppRoleGrant.objects.filter(user=person, scope=ORGANIZATION, organization_id=organization_id),
                roles, lambda role_id, o=organization_id, m=membership_pk: AppRoleGrant(
                    user=person, role_id=role_id, scope=ORGANIZATION, organization_id=o, membership_id=m,
                    granted_at=now, confirmed_at=now), now)
    return "updated"
