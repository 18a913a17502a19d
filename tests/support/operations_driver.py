"""The driver of an operations cluster (:mod:`tests.support.operations_cluster`): a Django process that
plays the web process (it asks for operations through the same services the views call) and beat (it
runs the sweeper), and reports what became of the operations, in the portal and in the tenant.

Reads one JSON command per line on stdin and answers each with one JSON line on stdout:
``{"result": …}`` or ``{"error": …, "traceback": …}``. Logs go to stderr.

    python -m tests.support.operations_driver   (with the cluster's environment)
"""

from __future__ import annotations

import json
import logging
import os
import random
import sqlite3
import sys
import time
import traceback
from collections import Counter
from typing import Any

import kombu.exceptions
import redis.exceptions

log = logging.getLogger("operations_driver")
# What sending a task raises while the broker is down (after the commit that recorded the operation).
BROKER_DOWN = (OSError, kombu.exceptions.OperationalError, redis.exceptions.ConnectionError)

SHARED = "Username-Password-Authentication"
# The demo tenant's organizations, one per membership mode.
ORGANIZATIONS = (
    ("acme", "Acme", "isolated_connection", "acme-users"),
    ("initech", "Initech", "shared_connection", SHARED),
    ("globex", "Globex", "auth0_organization", SHARED),
)


def _persist(call, what: str, attempts: int = 30):
    """Setup and the report talk to Auth0 too: a passing fault there is not what is measured."""
    from portal.faults import TransientFault

    for attempt in range(attempts):
        try:
            return call()
        except TransientFault as exc:
            if attempt == attempts - 1:
                raise
            log.info("%s: %s; trying again", what, exc)
            time.sleep(min(0.2 * 2 ** attempt, 2.0))
    raise AssertionError("unreachable")


def _plain_gateway():
    """A gateway that spends nothing from the portal's budget (the report reads the whole tenant)."""
    from django.conf import settings

    from auth0_gateway import Auth0Gateway

    return Auth0Gateway(base_url=settings.AUTH0_BASE_URL, client_id=settings.AUTH0_MGMT_CLIENT_ID,
                        client_secret=settings.AUTH0_MGMT_CLIENT_SECRET, audience=settings.AUTH0_MGMT_AUDIENCE,
                        limiter=None)


# The metadata schema every organization gets: what the edits change.
METADATA_FIELDS = (
    ("user_metadata", "department", "Department", "text"),
    ("app_metadata", "seats", "Seats", "integer"),
)


def setup() -> dict[str, Any]:
    """The demo's three organizations, connected to their Auth0 side, each with an admin and a metadata
    schema of two fields."""
    from organizations.models import MetadataField, Organization, OrganizationRole

    auth0 = _plain_gateway()
    connections = {c["name"]: c["id"] for c in _persist(auth0.connections_list, "connections")}
    created = {}
    for slug, name, mode, connection in ORGANIZATIONS:
        auth0_organization_id = ""
        if mode == "auth0_organization":
            auth0_organization_id = _persist(lambda s=slug: auth0.organization_get_by_name(name=s), slug)["id"]
        organization, _ = Organization.objects.update_or_create(slug=slug, defaults={
            "display_name": name, "membership_mode": mode, "connection_name": connection,
            "auth0_connection_id": connections[connection], "auth0_organization_id": auth0_organization_id})
        OrganizationRole.objects.get_or_create(organization=organization, user_id=_admin_id(slug),
                                               defaults={"role": "admin", "email": f"admin@{slug}.test"})
        for position, (target, key, label, kind) in enumerate(METADATA_FIELDS):
            MetadataField.objects.get_or_create(organization=organization, target=target, key=key, defaults={
                "label": label, "type": kind, "editable_by": "org_admin", "position": position})
        created[slug] = {"mode": mode, "auth0_organization_id": auth0_organization_id}
    auth0.close()
    return created


def _admin_id(slug: str) -> str:
    return f"cluster|admin-{slug}"


def invite(prefix: str, count: int) -> dict[str, Any]:
    """``count`` invitations, spread over the three organizations, asked for as the invite page asks."""
    from organizations.models import Organization
    from organizations.selectors import principal_for_user_id
    from users.acts.invite import user_invite_request

    organizations = [Organization.objects.get(slug=slug) for slug, *_ in ORGANIZATIONS]
    operations, errors = [], []
    for n in range(count):
        organization = organizations[n % len(organizations)]
        actor = principal_for_user_id(_admin_id(organization.slug), f"Admin of {organization.display_name}")
        email = f"{prefix}-{n:05d}@{organization.slug}.test"
        try:
            operations.append(str(user_invite_request(actor=actor, organization=organization, email=email).id))
        except BROKER_DOWN as exc:  # the operation is recorded all the same: the sweeper sends it
            errors.append(f"{email}: {type(exc).__name__}: {exc}")
    return {"operations": operations, "errors": errors}


def people_create(prefix: str, count: int) -> list[str]:
    """``count`` people already in the organizations (spread over the three), in the tenant and in the
    directory, for edits to act on; made directly (the caller turns faults and rate limits off first)."""
    from organizations.models import Organization
    from users.acts.invite import password_random
    from users.directory.mirror import directory_user_write_through

    auth0 = _plain_gateway()
    organizations = [Organization.objects.get(slug=slug) for slug, *_ in ORGANIZATIONS]
    made = []
    for n in range(count):
        organization = organizations[n % len(organizations)]
        shared = organization.membership_mode == "shared_connection"
        user = _persist(lambda o=organization, s=shared, e=f"{prefix}-{n:05d}@{organization.slug}.test":
                        auth0.user_create(connection=o.connection_name, email=e, password=password_random(),
                                          app_metadata={"organizations": [o.slug]} if s else None), "create")
        ids = None
        if organization.membership_mode == "auth0_organization":
            _persist(lambda o=organization, u=user: auth0.organization_members_add(
                organization_id=o.auth0_organization_id, user_ids=[u["user_id"]]), "member")
            ids = [organization.auth0_organization_id]
        directory_user_write_through(user, auth0_organization_ids=ids)
        made.append(user["user_id"])
    auth0.close()
    return made


def edit(prefix: str, people: list[str], rounds: int) -> dict[str, Any]:
    """``rounds`` edits of each person's metadata, asked for one round after the other as the edit page
    asks (each round a new value of both fields): the last round's values are what each must end with."""
    from organizations.models import Organization
    from organizations.selectors import principal_for_user_id
    from users.acts.metadata import user_metadata_edit_request
    from users.models import DirectoryUser

    organization_of = dict(DirectoryUser.objects.filter(user_id__in=people)
                           .values_list("user_id", "memberships__organization__slug"))
    organizations = {o.slug: o for o in Organization.objects.all()}
    operations, errors, final = [], [], {}
    for round_ in range(rounds):
        for user_id in people:
            organization = organizations[organization_of[user_id]]
            actor = principal_for_user_id(_admin_id(organization.slug), f"Admin of {organization.display_name}")
            values = {"user_metadata": {"department": f"{prefix}-{round_}"}, "app_metadata": {"seats": round_ + 1}}
            try:
                operation = user_metadata_edit_request(actor=actor, organization=organization, user_id=user_id,
                                                       values=values)
            except BROKER_DOWN as exc:  # the operation is recorded all the same: the sweeper sends it
                errors.append(f"{user_id}: {type(exc).__name__}: {exc}")
                continue
            operations.append(str(operation.id))
            final[user_id] = values
    return {"operations": operations, "errors": errors, "final": final}


def metadata_of(people: list[str]) -> dict[str, Any]:
    """Each person's metadata fields as the tenant holds them and as the directory does."""
    from users.models import DirectoryUser

    auth0 = _plain_gateway()
    mirrored = {u.user_id: u for u in DirectoryUser.objects.filter(user_id__in=people)}
    found = {}
    for user_id in people:
        user = auth0.user_get(user_id=user_id)
        keys = [(target, key) for target, key, *_ in METADATA_FIELDS]
        found[user_id] = {
            "auth0": {t: {k: (user.get(t) or {}).get(k) for tt, k in keys if tt == t} for t, _ in keys},
            "directory": {t: {k: (getattr(mirrored[user_id], t) or {}).get(k) for tt, k in keys if tt == t}
                          for t, _ in keys},
        }
    auth0.close()
    return found


# -- shared-connection memberships: organizations sharing one connection, people in some of them, and every
# person's organizations turned around at once (tests/reliability/test_memberships.py). Person ``i`` starts
# in organization ``j`` when ``i + j`` is even; every act turns that around, so each person ends in exactly the
# organizations where ``i + j`` is odd.
def _admin_of(organization):
    from organizations.selectors import principal_for_user_id

    return principal_for_user_id(_admin_id(organization.slug), f"Admin of {organization.display_name}")


def _slugs(prefix: str, organizations: int) -> list[str]:
    return [f"{prefix}-o{j:02d}" for j in range(organizations)]


def memberships_setup(prefix: str, organizations: int, people: int) -> list[dict[str, str]]:
    """``organizations`` shared-connection organizations with an admin each, and ``people`` people in the
    tenant and the directory, each in half of them (made directly: the caller turns faults and limits off)."""
    from organizations.models import Organization, OrganizationRole
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
                operations.append(str(user_invite_request(actor=_admin_of(organization), organization=organization,
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
            operation = user_remove_request(actor=_admin_of(organization), organization=organization,
                                            user_id=person["user_id"])
        operations.append(str(operation.id))
    expected = {person["user_id"]: sorted(s for j, s in enumerate(slugs) if (i + j) % 2)
                for i, person in enumerate(people)}
    return {"operations": operations, "expected": expected}


def memberships_of(people: list[dict[str, str]]) -> dict[str, dict[str, list[str]]]:
    """Each person's organizations as the tenant lists them and as the directory records them."""
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


def sweep() -> int:
    from portal.operations import operations_sweep

    return operations_sweep()


def wait(operations: list[str], timeout: float, until: int | None = None, sweep_every: float = 2.0,
         poll: float = 0.5) -> dict[str, Any]:
    """Run the sweeper every ``sweep_every`` seconds (as beat does every minute) until ``until`` of
    ``operations`` (default all) have finished, or ``timeout`` seconds have passed."""
    from django.db import close_old_connections
    from django.db.models import Count

    from portal.models import Operation

    goal = len(operations) if until is None else until
    deadline = time.monotonic() + timeout
    next_sweep, swept, sweep_errors = time.monotonic() + sweep_every, 0, 0
    while True:
        counts = Counter(dict(Operation.objects.filter(pk__in=operations).order_by()
                              .values_list("status").annotate(n=Count("pk"))))
        finished = counts.get("succeeded", 0) + counts.get("failed", 0)
        if finished >= goal or time.monotonic() > deadline:
            return {"counts": dict(counts), "finished": finished, "swept": swept, "sweep_errors": sweep_errors,
                    "timed_out": finished < goal}
        if time.monotonic() >= next_sweep:
            try:
                swept += sweep()
            except Exception as exc:  # the broker is down: beat's next tick tries again
                sweep_errors += 1
                log.warning("sweep failed: %s: %s", type(exc).__name__, exc)
                close_old_connections()
            next_sweep = time.monotonic() + sweep_every
        time.sleep(poll)


def _tickets_by_user() -> Counter:
    """Password-change tickets the tenant issued, per user (read from the emulator's own data file)."""
    with sqlite3.connect(f"file:{os.environ['CLUSTER_EMULATOR_DATA']}?mode=ro", uri=True, timeout=30) as conn:
        return Counter(dict(conn.execute(
            "SELECT user_id, COUNT(*) FROM tickets WHERE kind = 'password_change' GROUP BY user_id").fetchall()))


def report(operations: list[str]) -> dict[str, Any]:
    """Each operation as the portal recorded it and, for invitations, what the tenant holds: the users
    with its email, their membership, tickets, the portal's emails and the directory's memberships.
    Read without faults or rate limits (the caller turns the emulator's off first)."""
    from portal.models import Operation, OutboxMessage
    from users.models import DirectoryUser

    emails_to = Counter()
    for recipients in OutboxMessage.objects.values_list("recipients", flat=True):
        for address in recipients.split(", "):
            emails_to[address] += 1
    tickets = _tickets_by_user()
    auth0 = _plain_gateway()
    rows = []
    for op in Operation.objects.filter(pk__in=operations).select_related("organization").order_by("created_at"):
        row = {"id": str(op.pk), "kind": op.kind, "target": op.target, "status": op.status, "attempts": op.attempts,
               "last_error": op.last_error, "organization": op.organization.slug if op.organization else None,
               "created_at": op.created_at.timestamp(),
               "finished_at": op.finished_at.timestamp() if op.finished_at else None}
        if op.kind == "user_invite":
            users = auth0.users_by_email(email=op.target)
            row["users"] = [{
                "user_id": u["user_id"],
                "connections": [i["connection"] for i in u.get("identities", [])],
                "organizations_listed": (u.get("app_metadata") or {}).get("organizations"),
                "auth0_organizations": [o["id"] for o in auth0.user_organizations(user_id=u["user_id"])],
                "tickets": tickets.get(u["user_id"], 0),
                "mirrored_in": sorted(DirectoryUser.objects.filter(user_id=u["user_id"])
                                      .values_list("memberships__organization__slug", flat=True)),
            } for u in users]
            row["emails"] = emails_to.get(op.target, 0)
        rows.append(row)
    auth0.close()
    return {"operations": rows}


COMMANDS = {"setup": setup, "invite": invite, "people_create": people_create, "edit": edit,
            "metadata_of": metadata_of, "sweep": sweep, "wait": wait, "report": report,
            "memberships_setup": memberships_setup, "memberships_invite": memberships_invite,
            "memberships_turn_around": memberships_turn_around, "memberships_of": memberships_of}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.embedded")
    import django

    django.setup()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    from tests.reliability.scim_driver import COMMANDS as SCIM_COMMANDS
    from tests.support.bulk_driver import COMMANDS as BULK_COMMANDS

    COMMANDS.update(BULK_COMMANDS)
    COMMANDS.update(SCIM_COMMANDS)
    for line in sys.stdin:
        request = json.loads(line)
        command = request.pop("command")
        if command == "quit":
            print(json.dumps({"result": None}), flush=True)
            return
        try:
            answer = {"result": COMMANDS[command](**request)}
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        print(json.dumps(answer, default=str), flush=True)


if __name__ == "__main__":
    main()
