"""The directory's write side: upserts, derived memberships, search text, deletes and tombstones."""

from __future__ import annotations

import pytest

from organizations.models import MetadataField
from organizations.schema import metadata_schema_save
from organizations.selectors import principal_for_user_id
from tests.factories import CompanyAdminFactory
from tests.users.auth0_users import auth0_user
from users import tasks
from users.directory.mirror import (
    directory_user_write_through,
    directory_users_delete,
    directory_users_upsert,
    organization_members_replace,
    organization_search_text_rebuild,
)
from users.models import COPIED_COLUMNS, DirectoryUser, Membership, Tombstone, UserSearch

pytestmark = pytest.mark.django_db
SHARED = "Username-Password-Authentication"


def _orgs_of(user_id: str) -> set[str]:
    return set(Membership.objects.filter(user__user_id=user_id).values_list("organization__slug", flat=True))


def test_memberships_follow_each_mode(orgs) -> None:
    isolated = auth0_user(connection="iso-users")
    shared = auth0_user(app_metadata={"organizations": ["shr", "unknown"]})
    both = auth0_user(app_metadata={"organizations": ["shr"]})
    nobody = auth0_user()
    counts = directory_users_upsert([isolated, shared, both, nobody],
                                    auth0_organization_ids={both["user_id"]: ["org_abc"]})
    assert (counts.seen, counts.written, counts.memberships_added) == (4, 4, 4)
    assert _orgs_of(isolated["user_id"]) == {"iso"}
    assert _orgs_of(shared["user_id"]) == {"shr"}
    assert _orgs_of(both["user_id"]) == {"shr", "a0"}
    assert _orgs_of(nobody["user_id"]) == set()
    row = DirectoryUser.objects.get(user_id=isolated["user_id"])
    assert (row.connection, row.email_verified, row.created_at.year) == ("iso-users", True, 2024)


def test_a_change_moves_memberships_and_leaves_unknown_auth0_ones_alone(orgs) -> None:
    user = auth0_user(app_metadata={"organizations": ["shr"]})
    directory_users_upsert([user], auth0_organization_ids={user["user_id"]: ["org_abc"]})
    changed = {**user, "app_metadata": {"organizations": []}, "updated_at": "2025-02-01T00:00:00.000Z"}
    counts = directory_users_upsert([changed])  # the delta sync does not know Auth0 Organization members
    assert counts.memberships_removed == 1
    assert _orgs_of(user["user_id"]) == {"a0"}
    directory_users_upsert([{**changed, "updated_at": "2025-03-01T00:00:00.000Z"}],
                           auth0_organization_ids={user["user_id"]: []})
    assert _orgs_of(user["user_id"]) == set()


def test_an_older_copy_never_overwrites_a_newer_one(orgs) -> None:
    user = auth0_user(name="New name", updated_at="2025-05-01T00:00:00.000Z")
    directory_users_upsert([user])
    counts = directory_users_upsert([{**user, "name": "Old name", "updated_at": "2025-04-01T00:00:00.000Z"}])
    assert counts.written == 0
    assert DirectoryUser.objects.get(user_id=user["user_id"]).name == "New name"
    # The write-through has just read the user from Auth0: it wins.
    directory_user_write_through({**user, "name": "Read just now", "updated_at": "2025-04-01T00:00:00.000Z"})
    assert DirectoryUser.objects.get(user_id=user["user_id"]).name == "Read just now"


def test_a_deleted_user_does_not_come_back_from_an_older_listing(orgs) -> None:
    user = auth0_user(connection="iso-users")
    directory_users_upsert([user])
    assert directory_users_delete([user["user_id"]]) == 1
    assert not Membership.objects.exists() and Tombstone.objects.filter(user_id=user["user_id"]).exists()
    assert directory_users_upsert([user]).written == 0
    assert not DirectoryUser.objects.filter(user_id=user["user_id"]).exists()
    # Re-created under the same id (an import) after the deletion: it is a new user.
    recreated = {**user, "created_at": "2099-01-01T00:00:00.000Z", "updated_at": "2099-01-01T00:00:00.000Z"}
    assert directory_users_upsert([recreated]).written == 1
    assert not Tombstone.objects.filter(user_id=user["user_id"]).exists()


def test_search_text_holds_searchable_fields_per_organization(orgs) -> None:
    MetadataField.objects.create(organization=orgs["isolated"], key="department", label="Department",
                                 searchable=True)
    MetadataField.objects.create(organization=orgs["auth0"], key="badge", label="Badge", searchable=True)
    MetadataField.objects.create(organization=orgs["shared"], key="secret_code", label="Code", searchable=False)
    user = auth0_user(connection="iso-users", name="Ada Lovelace",
                      user_metadata={"department": "Engines", "badge": "B-42", "secret_code": "hidden"})
    directory_users_upsert([user])
    row = DirectoryUser.objects.get(user_id=user["user_id"])

    def own_text() -> str:
        return UserSearch.objects.get(user=row).text

    # The user's own text (a company admin's search) has every organization's searchable values...
    assert "ada lovelace" in own_text() and "engines" in own_text()
    assert "b-42" not in own_text() and "hidden" not in own_text()
    # ...the membership's only that organization's.
    assert "engines" in Membership.objects.get(user=row, organization=orgs["isolated"]).search_text
    # Joining an Auth0 Organization with a searchable field adds its values to the user's own text.
    organization_members_replace(orgs["auth0"], [user["user_id"]])
    assert "b-42" in own_text()
    assert "engines" not in Membership.objects.get(user=row, organization=orgs["auth0"]).search_text
    # The schema changes: the organization's search text, and its members', is rebuilt.
    MetadataField.objects.filter(organization=orgs["isolated"]).update(searchable=False)
    assert organization_search_text_rebuild(orgs["isolated"]) == 1
    assert "engines" not in Membership.objects.get(user=row, organization=orgs["isolated"]).search_text
    assert "engines" not in own_text() and "b-42" in own_text()


def test_auth0_organization_members_are_replaced_exactly(orgs) -> None:
    a, b, c = auth0_user(), auth0_user(), auth0_user()
    directory_users_upsert([a, b, c])
    missing: list[list[str]] = []
    added, removed = organization_members_replace(orgs["auth0"], [a["user_id"], b["user_id"], "auth0|new"],
                                                  on_missing=missing.append)
    assert (added, removed, missing) == (2, 0, [["auth0|new"]])
    missing.clear()
    added, removed = organization_members_replace(orgs["auth0"], [b["user_id"], c["user_id"]],
                                                  on_missing=missing.append)
    assert (added, removed, missing) == (1, 1, [])
    assert set(Membership.objects.filter(organization=orgs["auth0"]).values_list("user__user_id", flat=True)) == {
        b["user_id"], c["user_id"]}


def test_auth0_organization_members_are_replaced_a_batch_at_a_time(orgs) -> None:
    """The members are read lazily and each batch is written before the next is read: the replacement
    never holds the whole organization (the sync's memory stays flat however large it is)."""
    users = [auth0_user() for _ in range(7)]
    directory_users_upsert(users)
    organization_members_replace(orgs["auth0"], [u["user_id"] for u in users[:5]])
    read: list[str] = []

    def members():  # what the members API's pages yield, noting how far the replacement has read
        for user_id in [users[2]["user_id"], "auth0|new-1", *(u["user_id"] for u in users[3:]), "auth0|new-2"]:
            read.append(user_id)
            yield user_id

    seen: list[tuple[list[str], int]] = []
    added, removed = organization_members_replace(
        orgs["auth0"], members(), batch=2, on_missing=lambda ids: seen.append((ids, len(read))))
    # Users 2 to 6 stay or join; 0 and 1 ended.
    assert (added, removed) == (2, 2)
    assert seen == [(["auth0|new-1"], 2), (["auth0|new-2"], 7)]
    assert set(Membership.objects.filter(organization=orgs["auth0"]).values_list("user__user_id", flat=True)) == {
        u["user_id"] for u in users[2:]}


def test_a_membership_confirmed_while_a_members_pass_runs_is_kept(orgs) -> None:
    """A refresh that reads a user's organizations from Auth0 during a pass over the members (the user
    joined after the pass read its page) confirms the membership: the pass does not remove it."""
    early, late = auth0_user(), auth0_user()
    directory_users_upsert([early, late])

    def members():
        yield early["user_id"]
        directory_user_write_through(late, auth0_organization_ids=["org_abc"])  # joins mid-pass

    assert organization_members_replace(orgs["auth0"], members()) == (1, 0)
    assert Membership.objects.filter(organization=orgs["auth0"]).count() == 2
    # A user whose organizations nobody read keeps the membership but does not confirm it.
    directory_users_upsert([{**late, "name": "Renamed", "updated_at": "2030-01-01T00:00:00.000Z"}])
    assert organization_members_replace(orgs["auth0"], [early["user_id"]]) == (0, 1)


def test_saving_a_schema_queues_the_rebuild_of_the_organizations_search_text(
    orgs, django_capture_on_commit_callbacks, published_tasks
) -> None:
    user = auth0_user(connection="iso-users", user_metadata={"department": "Engines"})
    directory_users_upsert([user])
    admin = principal_for_user_id(CompanyAdminFactory().user_id)
    field = {"key": "department", "label": "Department", "target": "user_metadata", "type": "text",
             "editable_by": "org_admin", "visible_to": "org_viewer", "searchable": True}
    with django_capture_on_commit_callbacks(execute=True):
        metadata_schema_save(actor=admin, organization=orgs["isolated"], fields=[field])
    assert published_tasks == ["users.tasks.organization_search_text_rebuild"]
    tasks.organization_search_text_rebuild.apply(args=[orgs["isolated"].pk])
    assert "engines" in Membership.objects.get(organization=orgs["isolated"]).search_text


def _copies_match() -> None:
    for membership in Membership.objects.select_related("user"):
        for column in COPIED_COLUMNS:
            assert getattr(membership, column) == getattr(membership.user, column), (membership, column)
        assert membership.auth0_user_id == membership.user.user_id, membership


def test_memberships_carry_the_users_listed_columns_through_every_write(orgs) -> None:
    user = auth0_user(connection="iso-users", name="First", app_metadata={"organizations": ["shr"]},
                      last_login="2025-02-01T10:00:00.000Z", logins_count=3)
    directory_users_upsert([user], auth0_organization_ids={user["user_id"]: ["org_abc"]})
    assert Membership.objects.count() == 2
    _copies_match()
    directory_users_upsert([{**user, "name": "Second", "given_name": "Ada", "blocked": True, "email_verified": False,
                             "updated_at": "2025-06-01T00:00:00.000Z"}])
    _copies_match()
    assert set(Membership.objects.values_list("name", flat=True)) == {"Second"}
    other = auth0_user(name="Member", last_login="2025-03-01T00:00:00.000Z")
    directory_users_upsert([other])
    organization_members_replace(orgs["auth0"], [user["user_id"], other["user_id"]])
    _copies_match()
    directory_user_write_through({**other, "name": "Written through", "updated_at": "2020-01-01T00:00:00.000Z"})
    _copies_match()
