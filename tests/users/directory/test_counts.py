"""The directory's counts (users.directory.counts): every write path leaves each organization's members, blocked
and never-signed-in counts and the tenant's people equal to a recount (a random mix of writes, compared after
each), the syncs and refreshes through the emulator do too, and the check finds and puts right a drift.

Every test under tests/users also ends with the counts checked (tests/users/conftest.py), so the acts, the
syncs and the streams are held to the same."""

from __future__ import annotations

import io
import random

import pytest
from django.core.management import call_command

from auth0_gateway import gateway
from organizations.models import MembershipMode
from tests.users.auth0_users import auth0_user
from tests.users.sync_support import SHARED, demo_organizations, sync_run
from users.directory.counts import Tally, directory_counts_check, directory_people_read, organization_counts_read
from users.directory.mirror import (
    directory_user_write_through,
    directory_users_delete,
    directory_users_upsert,
    organization_members_replace,
)
from users.models import DirectoryCounts, DirectoryUser, Membership, OrganizationCounts, SyncRun
from users.tasks import directory_user_refresh

pytestmark = pytest.mark.django_db


def recounted(organization) -> Tally:
    members = Membership.objects.filter(organization=organization)
    return Tally(members.count(), members.filter(blocked=True).count(),
                 members.filter(last_login__isnull=True).count())


def assert_counts_exact() -> None:
    assert directory_counts_check(fix=False) == []
    assert directory_people_read() == DirectoryUser.objects.count()


def test_each_change_of_a_member_moves_the_counts(orgs) -> None:
    person = auth0_user(connection="iso-users")
    directory_users_upsert([person])
    assert organization_counts_read(orgs["isolated"].pk) == Tally(1, 0, 1)
    assert directory_people_read() == 1
    # A first sign-in (logins_count from 0, a last sign-in at last), then a block, then an unblock.
    signed_in = {**person, "logins_count": 1, "last_login": "2025-02-01T00:00:00.000Z",
                 "updated_at": "2025-02-01T00:00:00.000Z"}
    directory_user_write_through(signed_in)
    assert organization_counts_read(orgs["isolated"].pk) == Tally(1, 0, 0)
    directory_user_write_through({**signed_in, "blocked": True})
    assert organization_counts_read(orgs["isolated"].pk) == Tally(1, 1, 0)
    directory_user_write_through({**signed_in, "blocked": False})
    assert organization_counts_read(orgs["isolated"].pk) == Tally(1, 0, 0)
    # Joining an Auth0 Organization (as a blocked member), then leaving it.
    directory_user_write_through({**signed_in, "blocked": True}, auth0_organization_ids=["org_abc"])
    assert [organization_counts_read(orgs[o].pk) for o in ("isolated", "auth0")] == [Tally(1, 1, 0)] * 2
    directory_user_write_through(signed_in, auth0_organization_ids=[])
    assert [organization_counts_read(orgs[o].pk) for o in ("isolated", "auth0")] == [Tally(1, 0, 0), Tally()]
    # A shared connection's organization, by the user's app_metadata.
    other = auth0_user(app_metadata={"organizations": ["shr", "two"]})
    directory_users_upsert([other])
    assert [organization_counts_read(orgs[o].pk).members for o in ("shared", "second")] == [1, 1]
    directory_user_write_through({**other, "app_metadata": {"organizations": ["two"]}})
    assert [organization_counts_read(orgs[o].pk).members for o in ("shared", "second")] == [0, 1]
    # An older copy changes nothing; a deletion takes the person out of every count.
    directory_users_upsert([{**person, "blocked": True, "updated_at": "2024-01-01T00:00:00.000Z"}])
    assert organization_counts_read(orgs["isolated"].pk) == Tally(1, 0, 0)
    assert directory_users_delete([person["user_id"]]) == 1
    assert organization_counts_read(orgs["isolated"].pk) == Tally() and directory_people_read() == 1
    assert_counts_exact()


def _person(rng: random.Random, user_id: str, clock: int) -> dict:
    signed_in = rng.random() < 0.5
    return auth0_user(
        user_id=user_id, connection=rng.choice(["iso-users", SHARED]), blocked=rng.random() < 0.3,
        logins_count=rng.randint(1, 9) if signed_in else 0,
        last_login="2025-03-01T00:00:00.000Z" if signed_in else None,
        app_metadata={"organizations": rng.sample(["shr", "two", "elsewhere"], rng.randint(0, 2))},
        # Mostly newer than what the mirror has, sometimes older (skipped), sometimes created after a deletion.
        updated_at=f"20{25 + clock // 1000}-{1 + clock // 100 % 10:02d}-{1 + clock % 28:02d}T00:00:00.000Z",
        created_at="2099-01-01T00:00:00.000Z" if rng.random() < 0.2 else "2024-06-01T00:00:00.000Z",
    )


@pytest.mark.parametrize("seed", range(6))
def test_a_random_mix_of_writes_keeps_every_count_equal_to_a_recount(orgs, seed) -> None:
    rng = random.Random(seed)
    pool = [f"auth0|mix{seed}-{n}" for n in range(24)]
    for step in range(45):
        clock = step * 7 + rng.randint(-10, 10)
        kind = rng.choice(["batch", "batch", "through", "through", "delete", "members", "organizations"])
        if kind == "batch":  # a sync's batch: some users' Auth0 Organizations known, some not
            users = [_person(rng, user_id, clock) for user_id in rng.sample(pool, rng.randint(1, 10))]
            known = {u["user_id"]: rng.choice([[], ["org_abc"]]) for u in users if rng.random() < 0.5}
            directory_users_upsert(users, auth0_organization_ids=known)
        elif kind == "through":  # an act's write-through, or a pushed change's refresh
            directory_user_write_through(_person(rng, rng.choice(pool), clock),
                                         auth0_organization_ids=rng.choice([None, [], ["org_abc"]]))
        elif kind == "delete":
            directory_users_delete(rng.sample(pool, rng.randint(1, 3)))
        elif kind == "members":  # a full sync's pass over the Auth0 Organization's members
            organization_members_replace(orgs["auth0"], rng.sample(pool, rng.randint(0, 12)), batch=4)
        else:  # an organization's membership rule changes what the next write derives
            second = orgs["second"]
            second.membership_mode = rng.choice([MembershipMode.SHARED_CONNECTION, MembershipMode.ISOLATED_CONNECTION])
            isolated = second.membership_mode == MembershipMode.ISOLATED_CONNECTION
            second.connection_name = "iso-users" if isolated else SHARED
            second.save()
        assert_counts_exact()
    assert DirectoryUser.objects.exists() and OrganizationCounts.objects.exists()


def test_syncs_and_refreshes_through_the_emulator_keep_the_counts(auth0_on_changing_emulator) -> None:
    tenant = demo_organizations()
    assert sync_run("full").status == SyncRun.Status.SUCCEEDED
    assert_counts_exact()
    assert organization_counts_read(tenant["acme"].pk) == recounted(tenant["acme"])
    assert organization_counts_read(tenant["acme"].pk).members > 10
    auth0 = gateway()
    created = auth0.user_create(connection=SHARED, email="counted@initech.test", password="Very-l0ng-passw0rd!",
                                app_metadata={"organizations": ["initech"]})
    blocked = auth0.users_by_email(email="user03@initech.test")[0]
    auth0.user_update(user_id=blocked["user_id"], blocked=True)
    gone = auth0.users_by_email(email="user04@acme.test")[0]
    auth0.user_delete(user_id=gone["user_id"])
    initech_before = organization_counts_read(tenant["initech"].pk)
    assert sync_run("delta").status == SyncRun.Status.SUCCEEDED
    assert organization_counts_read(tenant["initech"].pk) == initech_before + Tally(1, 1, 1)
    assert_counts_exact()
    # The pushed change's refresh notices the deletion; the next full sync would too.
    assert directory_user_refresh.apply(args=[gone["user_id"]]).get() == "deleted"
    auth0.user_update(user_id=blocked["user_id"], blocked=False)
    assert directory_user_refresh.apply(args=[blocked["user_id"]]).get() == "updated"
    assert_counts_exact()
    auth0.user_delete(user_id=created["user_id"])
    assert sync_run("full").status == SyncRun.Status.SUCCEEDED
    assert not DirectoryUser.objects.filter(user_id=created["user_id"]).exists()
    assert_counts_exact()


def test_the_check_reports_and_puts_right_a_drift(orgs) -> None:
    directory_users_upsert([auth0_user(connection="iso-users", blocked=True) for _ in range(3)])
    OrganizationCounts.objects.filter(organization=orgs["isolated"]).update(members=7, blocked=0)
    OrganizationCounts.objects.create(organization=orgs["shared"], members=2)
    DirectoryCounts.objects.update(people=40)
    out = io.StringIO()
    call_command("directory_counts_check", "--report-only", stdout=out)
    assert ("organization iso: kept 7 members, 0 blocked, 3 never signed in, counted 3 members, 3 blocked, "
            "3 never signed in") in out.getvalue()
    assert "people: kept 40, counted 3" in out.getvalue() and "3 count(s) had drifted" in out.getvalue()
    assert organization_counts_read(orgs["isolated"].pk).members == 7  # reported only
    call_command("directory_counts_check", stdout=io.StringIO())
    assert organization_counts_read(orgs["isolated"].pk) == Tally(3, 3, 3)
    assert organization_counts_read(orgs["shared"].pk) == Tally()
    out = io.StringIO()
    call_command("directory_counts_check", stdout=out)
    assert "Every count matches a recount." in out.getvalue()
    assert_counts_exact()


def test_a_full_sync_puts_a_drift_right_and_says_so_in_its_run(auth0_on_emulator) -> None:
    tenant = demo_organizations()
    assert sync_run("full").status == SyncRun.Status.SUCCEEDED
    OrganizationCounts.objects.filter(organization=tenant["globex"]).update(members=0)
    run = sync_run("full")
    assert run.status == SyncRun.Status.SUCCEEDED
    assert [d.split(":")[0] for d in run.state["counts_drifted"]] == ["organization globex"]
    assert_counts_exact()
