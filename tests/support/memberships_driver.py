"""The operations cluster driver's commands for shared-connection memberships (tests/support/operations_driver.py
dispatches to them): organizations that share one connection, people in some of them, invitations to join the
others, then every person's organizations changed at once (the invitations accepted and the other memberships
ended, asked in a shuffled order), and what the tenant and the directory then list.

Person ``i`` starts in organization ``j`` when ``i + j`` is even; every act turns that around, so each person
ends in exactly the organizations where ``i + j`` is odd. Run inside the driver process (Django is set up
there); each function is one command.
"""

from __future__ import annotations

import random
from typing import Any

SHARED = "Username-Password-Authentication"


def _slugs(prefix: str, organizations: int) -> list[str]:
    return [f"{prefix}-o{j:02d}" for j in range(organizations)]


def _admin(organization):
    from organizations.selectors import principal_for_user_id
    from tests.support.operations_driver import _admin_id

    return principal_for_user_id(_admin_id(organization.slug), f"Admin of {organization.display_name}")


def memberships_setup(prefix: str, organizations: int, people: int) -> list[dict[str, str]]:
    """``organizations`` shared-connection organizations with an admin each, and ``people`` people in the
    tenant and the directory, each in half of them (made directly: the caller turns faults and limits off)."""
    from organizations.models import Organization, OrganizationRole
    from tests.support.operations_driver import _admin_id, _persist, _plain_gateway
    from users.acts.invite import password_random
    from users.directory.mirror import directory_user_write_through

    auth0 = _plain_gateway()
    connection_id = next(c["id"] for c in _persist(auth0.connections_list, "connections") if c["name"] == SHARED)
    slugs = _slugs(prefix, organizations)
    for n, slug in enumerate(slugs):
        organization, _ = Organization.objects.update_or_create(slug=slug, defaults={
            "display_name": f"Shared {n}", "membership_mode": "shared_connection", "connection_name": SHARED,
            "auth0_connection_id": connection_id})
        OrganizationRole.objects.get_or_create(organization=organization, user_id=_admin_id(slug),
                                               defaults={"role": "admin", "email": f"admin@{slug}.test"})
    made = []
    for i in range(people):
        email = f"{prefix}-p{i:03d}@people.test"
        user = _persist(lambda e=email, i=i: auth0.user_create(
            connection=SHARED, email=e, password=password_random(),
            app_metadata={"organizations": [s for j, s in enumerate(slugs) if (i + j) % 2 == 0]}), "create")
        directory_user_write_through(user)
        made.append({"user_id": user["user_id"], "email": email})
    auth0.close()
    return made


def memberships_invite(prefix: str, organizations: int, people: list[dict[str, str]]) -> list[str]:
    """Each organization invites each person it does not have, as the invite page asks: the person has an
    account, so each becomes an invitation to join."""
    from organizations.models import Organization
    from users.acts.invite import user_invite_request

    by_slug = {o.slug: o for o in Organization.objects.filter(slug__in=_slugs(prefix, organizations))}
    operations = []
    for i, person in enumerate(people):
        for j, slug in enumerate(_slugs(prefix, organizations)):
            if (i + j) % 2:
                organization = by_slug[slug]
                operations.append(str(user_invite_request(actor=_admin(organization), organization=organization,
                                                          email=person["email"]).id))
    return operations


def memberships_turn_around(prefix: str, organizations: int, people: list[dict[str, str]],
                            seed: int = 0) -> dict[str, Any]:
    """Every person's organizations turned around at once: each invitation to join accepted by its person,
    each other membership ended by its organization's admin, all asked in a shuffled order (so that many
    organizations act on one person at the same time). Returns the operations and what each person's list
    must end as."""
    from organizations.models import Organization
    from organizations.selectors import principal_for_user_id
    from users.acts.join import join_invitation_accept_request
    from users.acts.removal import user_remove_request
    from users.models import JoinInvitation

    slugs = _slugs(prefix, organizations)
    by_slug = {o.slug: o for o in Organization.objects.filter(slug__in=slugs)}
    acts = [(i, j) for i in range(len(people)) for j in range(organizations)]
    random.Random(seed).shuffle(acts)
    operations = []
    for i, j in acts:
        person, organization = people[i], by_slug[slugs[j]]
        if (i + j) % 2:
            invitation = JoinInvitation.objects.get(organization=organization, user_id=person["user_id"],
                                                    status=JoinInvitation.Status.PENDING)
            operation = join_invitation_accept_request(
                principal=principal_for_user_id(person["user_id"], person["email"]), invitation_id=invitation.pk)
        else:
            operation = user_remove_request(actor=_admin(organization), organization=organization,
                                            user_id=person["user_id"])
        operations.append(str(operation.id))
    expected = {person["user_id"]: sorted(s for j, s in enumerate(slugs) if (i + j) % 2)
                for i, person in enumerate(people)}
    return {"operations": operations, "expected": expected}


def memberships_of(people: list[dict[str, str]]) -> dict[str, dict[str, list[str]]]:
    """Each person's organizations as the tenant lists them and as the directory records them."""
    from tests.support.operations_driver import _plain_gateway
    from users.models import DirectoryUser

    auth0 = _plain_gateway()
    found = {}
    for person in people:
        user = auth0.user_get(user_id=person["user_id"])
        recorded = DirectoryUser.objects.filter(user_id=person["user_id"]).values_list(
            "memberships__organization__slug", flat=True)
        found[person["user_id"]] = {"auth0": sorted((user.get("app_metadata") or {}).get("organizations") or []),
                                    "directory": sorted(s for s in recorded if s)}
    auth0.close()
    return found


COMMANDS = {"memberships_setup": memberships_setup, "memberships_invite": memberships_invite,
            "memberships_turn_around": memberships_turn_around, "memberships_of": memberships_of}
