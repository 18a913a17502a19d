"""user_list: scoping in the query, per-organization search, filters."""

from __future__ import annotations

import datetime as dt

import pytest

from organizations.models import MetadataField
from organizations.selectors import principal_for_user_id
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert
from users.directory.selectors import NO_ORGANIZATION, UserQuery, user_get, user_list, user_list_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    a = OrganizationFactory(slug="alpha", connection_name="alpha-users")
    b = OrganizationFactory(slug="beta", connection_name="beta-users")
    MetadataField.objects.create(organization=a, key="team", label="Team", searchable=True)
    MetadataField.objects.create(organization=b, key="codename", label="Codename", searchable=True)
    users = {
        "ann": auth0_user(connection="alpha-users", name="Ann Archer", user_metadata={"team": "rockets",
                                                                                      "codename": "falcon"}),
        "bob": auth0_user(connection="beta-users", name="Bob Baker", blocked=True,
                          user_metadata={"codename": "falcon"}, last_login="2025-03-02T10:00:00.000Z"),
        "cat": auth0_user(connection="alpha-users", name="Cat Cole", email_verified=False),
        "dan": auth0_user(name="Dan Noorg"),
    }
    directory_users_upsert(list(users.values()))
    admin_a = principal_for_user_id(RoleFactory(organization=a, role="admin").user_id)
    company = principal_for_user_id(CompanyAdminFactory().user_id)
    return {"a": a, "b": b, "users": users, "admin_a": admin_a, "company": company}


def _names(qs) -> set[str]:
    return set(qs.values_list("name", flat=True))


def test_an_org_admin_sees_their_organizations_users_only(world) -> None:
    assert _names(user_list(principal=world["admin_a"], organization=world["a"], query=UserQuery())) == {
        "Ann Archer", "Cat Cole"}
    assert not user_list(principal=world["admin_a"], organization=world["b"], query=UserQuery()).exists()
    assert not user_list(principal=world["admin_a"], organization=None, query=UserQuery()).exists()
    with pytest.raises(Exception) as caught:
        user_get(principal=world["admin_a"], organization=world["a"], user_id=world["users"]["bob"]["user_id"])
    assert caught.type.__name__ == "Http404"


def test_search_looks_into_this_organizations_searchable_fields_only(world) -> None:
    def search(principal, organization, text: str) -> set[str]:
        query = UserQuery(search_terms=tuple(text.split()))
        return _names(user_list(principal=principal, organization=organization, query=query))

    assert search(world["admin_a"], world["a"], "rockets") == {"Ann Archer"}
    # "falcon" is in Ann's metadata too, but codename is searchable in beta, not in alpha.
    assert search(world["admin_a"], world["a"], "falcon") == set()
    assert search(world["company"], world["b"], "falcon") == {"Bob Baker"}
    assert search(world["admin_a"], world["a"], "ann ARCHER") == {"Ann Archer"}
    assert search(world["admin_a"], world["a"], "ann cole") == set()  # every term must match
    assert search(world["company"], None, "falcon") == {"Bob Baker"}


def test_company_admins_list_everyone_and_narrow_by_organization(world) -> None:
    company = world["company"]
    assert _names(user_list(principal=company, organization=None, query=UserQuery())) == {
        "Ann Archer", "Bob Baker", "Cat Cole", "Dan Noorg"}
    assert _names(user_list(principal=company, organization=None, query=UserQuery(organization_slug="beta"))) == {
        "Bob Baker"}
    assert _names(user_list(principal=company, organization=None,
                            query=UserQuery(organization_slug=NO_ORGANIZATION))) == {"Dan Noorg"}


def test_a_company_admins_search_is_counted_exactly_whichever_way_it_is_counted(world) -> None:
    """A bare search of every user is counted in the search table alone; with a filter or an organization, on
    the users: each total is the number of users the list shows."""
    company = world["company"]
    queries = [
        UserQuery(search_terms=("falcon",)), UserQuery(search_terms=("example",)), UserQuery(search_terms=("noorg",)),
        UserQuery(search_terms=("falcon", "bob")), UserQuery(search_terms=("zzz",)),
        UserQuery(search_terms=("falcon",), blocked=False), UserQuery(search_terms=("a",), organization_slug="alpha"),
        UserQuery(search_terms=("a",), organization_slug=NO_ORGANIZATION),
    ]
    totals = [user_list_count(principal=company, organization=None, query=query) for query in queries]
    assert totals == [user_list(principal=company, organization=None, query=query).count() for query in queries]
    assert totals[:5] == [1, 4, 1, 1, 0] and totals[5] == 0
    # Nobody else counts every user's search.
    assert user_list_count(principal=world["admin_a"], organization=None, query=queries[1]) == 0


def test_filters(world) -> None:
    company = world["company"]

    def names(**query) -> set[str]:
        return _names(user_list(principal=company, organization=None, query=UserQuery(**query)))

    assert names(blocked=True) == {"Bob Baker"}
    assert names(email_verified=False) == {"Cat Cole"}
    assert names(never_signed_in=True) == {"Ann Archer", "Cat Cole", "Dan Noorg"}
    assert names(connection="beta-users") == {"Bob Baker"}
    assert names(last_login_from=dt.date(2025, 3, 2), last_login_to=dt.date(2025, 3, 2)) == {"Bob Baker"}
    assert names(last_login_from=dt.date(2025, 3, 3)) == set()
    assert names(created_from=dt.date(2024, 6, 1), created_to=dt.date(2024, 6, 1)) == {
        "Ann Archer", "Bob Baker", "Cat Cole", "Dan Noorg"}
