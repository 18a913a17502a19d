"""The directory's counts when writes run at once (PostgreSQL, each thread with a connection of its own,
released together): the same new user written by several paths at once is one person and one member, members
joining at once are all counted, changes of one person racing each other and a deletion leave the counts
equal to a recount (users.directory.counts: row locks on the users, the tenant's row for creations and
deletions, increments)."""

from __future__ import annotations

import pytest

from tests.support.concurrency import needs_database_server, simultaneously
from tests.users.auth0_users import auth0_user
from users.directory.counts import Tally, directory_counts_check, directory_people_read, organization_counts_read
from users.directory.mirror import (
    directory_user_write_through,
    directory_users_delete,
    directory_users_upsert,
    organization_members_replace,
)
from users.models import DirectoryUser

pytestmark = [pytest.mark.django_db(transaction=True), needs_database_server]
SHARED = "Username-Password-Authentication"


def _no_errors(outcomes: list) -> None:
    assert [o for o in outcomes if isinstance(o, Exception)] == []


def test_one_new_person_written_by_several_paths_at_once_is_counted_once(orgs) -> None:
    person = auth0_user(connection="iso-users", app_metadata={"organizations": []})
    others = [auth0_user(connection="iso-users") for _ in range(3)]

    def write(n: int) -> None:
        if n % 2:  # a sync's batch that also holds the person
            directory_users_upsert([*others, person])
        else:  # a pushed change's refresh, an act's write-through
            directory_user_write_through(person, auth0_organization_ids=["org_abc"] if n == 2 else None)

    _no_errors(simultaneously(write, 6))
    assert directory_people_read() == 4 == DirectoryUser.objects.count()
    assert organization_counts_read(orgs["isolated"].pk) == Tally(4, 0, 4)
    assert directory_counts_check(fix=False) == []


def test_members_joining_at_once_are_all_counted(orgs) -> None:
    people = [auth0_user(app_metadata={"organizations": ["shr"]}, blocked=n % 2 == 0) for n in range(8)]
    _no_errors(simultaneously(lambda n: directory_user_write_through(people[n]), len(people)))
    assert organization_counts_read(orgs["shared"].pk) == Tally(8, 4, 8)
    assert directory_people_read() == 8
    assert directory_counts_check(fix=False) == []


def test_changes_of_one_person_at_once_a_deletion_and_a_members_pass_leave_the_counts_exact(orgs) -> None:
    people = [auth0_user(app_metadata={"organizations": ["shr"]}) for _ in range(6)]
    directory_users_upsert(people)
    first = people[0]
    signed_in = {**first, "logins_count": 1, "last_login": "2025-04-01T00:00:00.000Z"}

    def write(n: int) -> None:
        match n:
            case 0:  # a first sign-in, through a pushed change's refresh
                directory_user_write_through(signed_in, auth0_organization_ids=["org_abc"])
            case 1:  # a block, through an act's write-through
                directory_user_write_through({**first, "blocked": True}, auth0_organization_ids=[])
            case 2:  # the person deleted
                directory_users_delete([people[1]["user_id"]])
            case 3:  # while a sync's batch writes them again
                directory_users_upsert([{**p, "updated_at": "2025-05-01T00:00:00.000Z"} for p in people[1:4]])
            case 4:  # and the Auth0 Organization's members are replaced
                organization_members_replace(orgs["auth0"], [p["user_id"] for p in people[:5]], batch=2)
            case _:  # and someone leaves the organization
                directory_user_write_through({**people[4], "app_metadata": {"organizations": []}})

    _no_errors(simultaneously(write, 6))
    assert directory_counts_check(fix=False) == []
    assert directory_people_read() == DirectoryUser.objects.count()
