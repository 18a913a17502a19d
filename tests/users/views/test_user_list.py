"""The user list (an organization's, and every organization's for company admins) and its CSV export:
scoping, search, each filter, sort, keyset paging, bad input in the query string, and the export's
contents and formula guard. Mirror rows come from ``directory_users_upsert`` with Auth0-shaped JSON."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from organizations.models import MembershipMode
from portal.keyset import KeysetPaginator, SortKey
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory, UserFactory
from tests.users.auth0_users import auth0_user
from users.directory.counts import directory_counts_check
from users.directory.mirror import directory_users_upsert
from users.directory.selectors import SORTS
from users.models import DirectoryCounts, DirectoryUser, Membership, OrganizationCounts
from users.views.user_list import COLUMNS

pytestmark = pytest.mark.django_db
SHARED = "Username-Password-Authentication"
ACME_USERS = 60  # more than two pages at 25 a page


def _acme_user(i: int) -> dict:
    """The i-th user of Acme: attributes vary with i so that every filter and sort has something to do."""
    identities = [{"connection": "acme-users", "provider": "auth0", "user_id": f"a{i}", "isSocial": False}]
    if i % 5 == 0:  # signs in with the company's SAML connection, linked to the database identity
        identities.insert(0, {"connection": "acme-sso", "provider": "samlp", "user_id": f"s{i}", "isSocial": False})
    return auth0_user(
        connection="acme-users", identities=identities,
        email=f"user{i:02d}@acme.test", name=f"Acme Person {i:02d}",
        nickname=f"nick-{chr(97 + i % 26)}{chr(97 + i // 26)}",
        email_verified=i % 3 != 0, blocked=i % 10 == 0, logins_count=(i * 37) % 101,
        last_login=None if i % 4 == 0 else f"2025-03-{1 + i % 28:02d}T{i % 24:02d}:30:00.000Z",
        created_at=f"2024-{1 + i % 12:02d}-{1 + i % 27:02d}T08:00:00.000Z",
    )


@pytest.fixture
def world():
    acme = OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users")
    beta = OrganizationFactory(slug="beta", display_name="Beta", connection_name="beta-users")
    initech = OrganizationFactory(slug="initech", display_name="Initech", connection_name=SHARED,
                                  membership_mode=MembershipMode.SHARED_CONNECTION)
    directory_users_upsert([_acme_user(i) for i in range(ACME_USERS)])
    directory_users_upsert([
        auth0_user(connection="beta-users", email="bea@beta.test", name="Bea Beta"),
        auth0_user(connection="beta-users", email="ben@beta.test", name="Ben Beta"),
        auth0_user(connection=SHARED, email="ivy@initech.test", name="Ivy Initech",
                   app_metadata={"organizations": ["initech"]}),
        auth0_user(connection=SHARED, email="nora@nowhere.test", name="Nora Nobody"),
    ])

    def client_of(**role) -> Client:
        person = UserFactory()
        if role:
            RoleFactory(user_id=person.auth0_user_id, **role)
        client = Client()
        client.force_login(person)
        return client

    company = UserFactory()
    CompanyAdminFactory(user_id=company.auth0_user_id)
    company_client = Client()
    company_client.force_login(company)
    return {
        "acme": acme, "beta": beta, "initech": initech,
        "acme_admin": client_of(organization=acme, role="admin"),
        "acme_viewer": client_of(organization=acme, role="viewer"),
        "beta_admin": client_of(organization=beta, role="admin"),
        "company": company_client,
    }


def acme_users() -> list[DirectoryUser]:
    return list(DirectoryUser.objects.filter(memberships__organization__slug="acme"))


def acme_list(client: Client, **params):
    return client.get(reverse("user_list", kwargs={"slug": "acme"}), params)


def emails(response) -> list[str]:
    return [u.email for u in response.context["users"]]


def all_pages(client: Client, url: str, params: dict) -> list[str]:
    """Follow the Next links from the first page to the end: every user's email, in order."""
    response = client.get(url, params)
    seen = emails(response)
    while response.context["listing"].next_url:
        response = client.get(response.context["listing"].next_url)
        assert response.status_code == 200
        seen += emails(response)
    return seen


def field_group(page: str, field: str) -> str:
    """A form field's label, help, errors and widget, as rendered."""
    start = page.index(f'<label for="id_{field}">')
    widget = page.index(f'id="id_{field}"', start)
    return page[start:page.index(">", widget) + 1]


def errors_of(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


# -- scoping ------------------------------------------------------------------------------------------
def test_admins_and_viewers_see_their_organizations_users_only(world) -> None:
    expected = sorted(u.email for u in acme_users())
    for who in ("acme_admin", "acme_viewer"):
        seen = all_pages(world[who], reverse("user_list", kwargs={"slug": "acme"}), {})
        assert seen == expected, who
    assert acme_list(world["beta_admin"]).status_code == 404
    assert world["acme_admin"].get(reverse("directory_user_list")).status_code == 404
    assert world["acme_admin"].get(reverse("directory_user_export")).status_code == 404
    beta = world["beta_admin"].get(reverse("user_list", kwargs={"slug": "beta"}))
    assert emails(beta) == ["bea@beta.test", "ben@beta.test"]


def test_company_admins_list_every_organization_with_an_organization_column_and_filter(world) -> None:
    url = reverse("directory_user_list")
    everyone = all_pages(world["company"], url, {"size": 100})
    assert sorted(everyone) == sorted(DirectoryUser.objects.values_list("email", flat=True))
    response = world["company"].get(url, {"q": "beta"})
    page = response.content.decode()
    assert emails(response) == ["bea@beta.test", "ben@beta.test"]
    assert re.search(r'data-label="Organizations"[^>]*><a href="/o/beta/users/[^"]+/">Beta</a></td>', page)
    assert "<th scope=\"col\" role=\"columnheader\">Organizations</th>" in page
    assert emails(world["company"].get(url, {"org": "-"})) == ["nora@nowhere.test"]
    assert emails(world["company"].get(url, {"org": "initech"})) == ["ivy@initech.test"]
    assert world["company"].get(url, {"org": "-"}).content.decode().count(">None</td>") == 1
    options = re.findall(r'<option value="([^"]*)"', page.split('name="org"')[1].split("</select>")[0])
    assert options == ["", "-", "acme", "beta", "initech"]


def test_the_organization_column_costs_one_query_whatever_the_page_size(world) -> None:
    # Warm whatever the pages cache (the session, the connection choices), so both counts see the same.
    world["company"].get(reverse("directory_user_list"))
    acme_list(world["acme_admin"])

    def queries(size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert world["company"].get(reverse("directory_user_list"), {"size": size}).status_code == 200
        return len(captured.captured_queries)

    assert queries(25) == queries(100)
    with CaptureQueriesContext(connection) as small:
        acme_list(world["acme_admin"], size=25)
    with CaptureQueriesContext(connection) as large:
        acme_list(world["acme_admin"], size=100)
    assert len(small.captured_queries) == len(large.captured_queries)


# -- search, filters, sort --------------------------------------------------------------------------
def test_search_matches_every_word_in_email_name_or_nickname(world) -> None:
    target = next(u for u in acme_users() if u.email == "user07@acme.test")
    assert emails(acme_list(world["acme_admin"], q="user07")) == [target.email]
    assert emails(acme_list(world["acme_admin"], q=target.nickname.upper())) == [target.email]
    assert emails(acme_list(world["acme_admin"], q=f"person {target.nickname}")) == [target.email]
    assert emails(acme_list(world["acme_admin"], q="person bea")) == []  # every word must match
    assert emails(acme_list(world["acme_admin"], q="bea")) == []  # Beta's users are not Acme's
    response = acme_list(world["acme_admin"], q="nobody-matches-this")
    assert "No user matches this search and these filters." in response.content.decode()
    assert response.context["total_label"] == "0 users"


def _filtered(world, **params) -> set[str]:
    url = reverse("user_list", kwargs={"slug": "acme"})
    response = world["acme_admin"].get(url, params)
    assert not response.context["form"].errors, response.context["form"].errors
    return set(all_pages(world["acme_admin"], url, params))


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.astimezone(dt.UTC).date() if value else None


@pytest.mark.parametrize(("params", "keep"), [
    ({"blocked": "yes"}, lambda u: u.blocked),
    ({"blocked": "no"}, lambda u: not u.blocked),
    ({"verified": "yes"}, lambda u: u.email_verified),
    ({"verified": "no"}, lambda u: not u.email_verified),
    ({"never": "on"}, lambda u: u.last_login is None),
    ({"connection": "acme-sso"}, lambda u: u.connection == "acme-sso"),
    ({"login_from": "2025-03-10", "login_to": "2025-03-20"},
     lambda u: u.last_login is not None and dt.date(2025, 3, 10) <= _day(u.last_login) <= dt.date(2025, 3, 20)),
    ({"created_from": "2024-06-01"}, lambda u: _day(u.created_at) >= dt.date(2024, 6, 1)),
    ({"created_to": "2024-03-31"}, lambda u: _day(u.created_at) <= dt.date(2024, 3, 31)),
    ({"blocked": "no", "verified": "no", "connection": "acme-users"},
     lambda u: not u.blocked and not u.email_verified and u.connection == "acme-users"),
], ids=lambda v: "&".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else "")
def test_each_filter(world, params: dict, keep) -> None:
    expected = {u.email for u in acme_users() if keep(u)}
    assert expected and expected != {u.email for u in acme_users()}, "the data must make the filter matter"
    assert _filtered(world, **params) == expected
    response = acme_list(world["acme_admin"], **params)
    assert response.context["total"] == len(expected)
    assert response.context["total_label"] == f"{len(expected):,} users"


def test_connection_choices_are_the_organizations_own_connections(world) -> None:
    """The choices are the connections the list's rows show: a user's primary identity's (identities[0]).
    One in five of Acme's users signs in through acme-sso, linked to their identity in acme-users (which
    makes them Acme's): the choices must offer acme-sso too, not only the organization's connection."""
    page = acme_list(world["acme_admin"]).content.decode()
    select = page.split('name="connection"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]*)"', select) == ["", "acme-sso", "acme-users"]
    response = acme_list(world["acme_admin"], connection="beta-users")
    assert errors_of(response, "connection")
    assert response.context["total"] == len(acme_users())  # the invalid filter is left out


def _sort_value(user: DirectoryUser, field: str):
    return getattr(user, field)


@pytest.mark.parametrize("key", [key for key, _ in COLUMNS])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_on_every_column_both_ways(world, key: str, descending: bool) -> None:
    field = SORTS[key]
    users = acme_users()
    present = sorted((u for u in users if getattr(u, field) is not None),
                     key=lambda u: (getattr(u, field), u.pk), reverse=descending)
    missing = sorted((u for u in users if getattr(u, field) is None), key=lambda u: u.pk, reverse=descending)
    expected = [u.email for u in present + missing]  # no value last, either way
    sort = f"-{key}" if descending else key
    url = reverse("user_list", kwargs={"slug": "acme"})
    assert all_pages(world["acme_admin"], url, {"sort": sort}) == expected

    response = acme_list(world["acme_admin"], sort=sort, blocked="no")
    header = next(h for h in response.context["headers"] if h.key == key)
    assert header.sorted == ("descending" if descending else "ascending")
    page = response.content.decode()
    assert page.count("aria-sort=") == 1
    assert f'aria-sort="{header.sorted}" class="user-col-{key}"' in page
    toggled = parse_qs(urlsplit(header.url).query)
    assert toggled == {"sort": [key if descending else f"-{key}"], "blocked": ["no"]}  # filters kept, no cursor


def test_page_size_and_total(world) -> None:
    response = acme_list(world["acme_admin"], size=50)
    assert len(response.context["users"]) == 50
    assert f"{ACME_USERS} users" in response.content.decode()
    response = acme_list(world["acme_admin"], size=33)
    assert errors_of(response, "size")
    assert len(response.context["users"]) == 25
    one = acme_list(world["acme_admin"], q="user07")
    assert one.context["total_label"] == "1 user"


def test_the_unfiltered_total_and_quick_facts_come_from_the_counts_and_a_filter_is_counted(world) -> None:
    """The directory's counts (kept by its writes, users.directory.counts) give an unfiltered list its total (and
    the quick facts' filtered lists theirs), so a count altered by hand shows there and nowhere a search or
    another filter is counted."""
    page = acme_list(world["acme_viewer"]).content.decode()
    blocked = sum(1 for i in range(ACME_USERS) if i % 10 == 0)
    never = sum(1 for i in range(ACME_USERS) if i % 4 == 0)
    assert f"Of all {ACME_USERS} members:" in page
    assert f'<a href="/o/acme/users/?blocked=yes">{blocked} blocked</a>' in page
    assert f'<a href="/o/acme/users/?never=on">{never} never signed in</a>' in page
    # Each fact's link lists exactly that many.
    assert world["acme_viewer"].get("/o/acme/users/?blocked=yes").context["total"] == blocked
    assert world["acme_viewer"].get("/o/acme/users/?never=on").context["total"] == never
    OrganizationCounts.objects.filter(organization=world["acme"]).update(members=9999)
    DirectoryCounts.objects.update(people=12345)
    OrganizationCounts.objects.filter(organization=world["beta"]).update(members=4321)
    assert acme_list(world["acme_admin"]).context["total_label"] == "9,999 users"
    assert acme_list(world["acme_admin"], sort="-created", size=50).context["total"] == 9999  # order is no filter
    # The quick facts' filters alone are what the counts hold too; anything more is counted.
    assert acme_list(world["acme_admin"], blocked="no").context["total"] == 9999 - blocked
    assert acme_list(world["acme_admin"], never="on").context["total"] == never
    assert acme_list(world["acme_admin"], q="acme").context["total"] == ACME_USERS
    assert acme_list(world["acme_admin"], blocked="no", verified="yes").context["total"] == sum(
        1 for i in range(ACME_USERS) if i % 10 and i % 3)
    assert acme_list(world["acme_admin"], never="on", blocked="yes").context["total"] == sum(
        1 for i in range(ACME_USERS) if i % 20 == 0)
    url = reverse("directory_user_list")
    assert world["company"].get(url).context["total"] == 12345  # the tenant's people
    assert world["company"].get(url, {"org": "beta"}).context["total"] == 4321
    assert world["company"].get(url, {"blocked": "yes"}).context["total"] == blocked  # no tenant-wide fact
    assert world["company"].get(url, {"org": "-"}).context["total"] == 1  # no count holds "no organization"
    assert world["company"].get(url, {"q": "beta"}).context["total"] == 2
    # Another organization's counts never reach an admin's page.
    assert "4,321" not in acme_list(world["acme_admin"]).content.decode()
    assert world["acme_admin"].get("/o/beta/users/").status_code == 404
    assert len(directory_counts_check(fix=True)) == 3
    assert acme_list(world["acme_admin"]).context["total"] == ACME_USERS


# -- paging -------------------------------------------------------------------------------------------
def test_first_next_previous_last(world) -> None:
    everyone = sorted(u.email for u in acme_users())
    first = acme_list(world["acme_admin"], sort="email")
    assert emails(first) == everyone[:25]
    assert first.context["listing"].first_url == first.context["listing"].previous_url == ""
    second = world["acme_admin"].get(first.context["listing"].next_url)
    assert emails(second) == everyone[25:50]
    assert "after=" in second.context["listing"].next_url and "sort=email" in second.context["listing"].next_url
    third = world["acme_admin"].get(second.context["listing"].next_url)
    assert emails(third) == everyone[50:]
    assert third.context["listing"].next_url == third.context["listing"].last_url == ""
    back = world["acme_admin"].get(third.context["listing"].previous_url)
    assert emails(back) == everyone[25:50]
    last = world["acme_admin"].get(first.context["listing"].last_url)
    assert emails(last) == everyone[-25:]
    assert last.context["listing"].next_url == ""
    assert emails(world["acme_admin"].get(last.context["listing"].previous_url)) == everyone[-50:-25]
    assert emails(world["acme_admin"].get(last.context["listing"].first_url)) == everyone[:25]
    page = first.content.decode()
    assert '<span class="page-link" aria-disabled="true">Previous</span>' in page
    assert 'rel="next">Next</a>' in page


def test_a_page_past_the_end_shows_the_last_page_with_a_message(world) -> None:
    # An organization's list pages over its memberships (users.directory.selectors.member_list), as cursors say.
    members = Membership.objects.filter(organization__slug="acme")
    paginator = KeysetPaginator(members, [SortKey("email"), SortKey("pk")], 25)
    past_the_end = paginator.cursor(members.order_by("-email", "-pk").first())  # after the very last user
    response = acme_list(world["acme_admin"], sort="email", after=past_the_end)
    assert response.status_code == 200
    assert "That page is past the end of the list" in response.context["listing"].message
    assert emails(response) == sorted(u.email for u in acme_users())[-25:]
    before_the_start = paginator.cursor(members.order_by("email", "pk").first())
    response = acme_list(world["acme_admin"], sort="email", before=before_the_start)
    assert "before the start of the list" in response.context["listing"].message
    assert emails(response) == sorted(u.email for u in acme_users())[:25]


@pytest.mark.parametrize(("params", "message"), [
    ({"after": "not-a-cursor"}, "This page link is damaged or out of date. Showing the first page."),
    ({"before": "x" * 5000}, "This page link is damaged or out of date. Showing the first page."),
    ({"page": "99"}, "There is no page “99”"),
])
def test_a_damaged_cursor_or_page_shows_the_first_page_with_a_message_above_the_table(
    world, params: dict, message: str
) -> None:
    response = acme_list(world["acme_admin"], blocked="yes", **params)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert page.index(message) < page.index("<table")
    assert set(emails(response)) == {u.email for u in acme_users() if u.blocked}  # the filter still applies


def test_a_cursor_made_for_another_sort_order_is_refused(world) -> None:
    by_email = acme_list(world["acme_admin"], sort="email")
    cursor = parse_qs(urlsplit(by_email.context["listing"].next_url).query)["after"][0]
    response = acme_list(world["acme_admin"], sort="-created", after=cursor)
    assert "made for another sort order" in response.context["listing"].message
    assert response.context["users"][0].email == max(acme_users(), key=lambda u: (u.created_at, u.pk)).email


def test_a_cursor_signed_with_another_key_is_refused(world) -> None:
    forged = signing.dumps({"o": "email,pk", "v": ["user30@acme.test", 1]}, key="not-the-portals-key",
                           salt="portal.keyset", compress=True)
    response = acme_list(world["acme_admin"], after=forged)
    assert response.status_code == 200
    assert "damaged or out of date" in response.context["listing"].message
    assert emails(response) == sorted(u.email for u in acme_users())[:25]


# -- bad input beside its field ---------------------------------------------------------------------------
@pytest.mark.parametrize(("field", "value", "error"), [
    ("sort", "password", "Select a valid choice. password is not one of the available choices."),
    ("login_from", "2025-13-45", "Enter a valid date."),
    ("created_to", "yesterday", "Enter a valid date."),
    ("q", "a" * 201, "Ensure this value has at most 200 characters (it has 201)."),
    ("blocked", "maybe", "Select a valid choice. maybe is not one of the available choices."),
    ("size", "100000", "Select a valid choice. 100000 is not one of the available choices."),
])
def test_bad_input_is_shown_beside_its_field_with_the_input_kept(world, field: str, value: str, error: str) -> None:
    response = acme_list(world["acme_admin"], **{field: value}, verified="no")
    assert response.status_code == 200
    assert errors_of(response, field) == [error]
    group = field_group(response.content.decode(), field)
    assert f'<ul class="errorlist" id="id_{field}_error"><li>{escape(error)}</li></ul>' in group
    assert 'aria-invalid="true"' in group and 'aria-describedby="' in group
    if field not in ("sort", "blocked", "size"):  # selects keep their choice list; text keeps the input
        assert f'value="{value}"' in group
    if field in ("login_from", "created_to"):  # as text: a date picker would not show what was typed
        assert '<input type="text"' in group and 'placeholder="YYYY-MM-DD"' in group
    assert set(emails(response)) <= {u.email for u in acme_users() if not u.email_verified}
    assert response.context["total"] == len([u for u in acme_users() if not u.email_verified])


def test_a_range_that_ends_before_it_starts_is_shown_beside_its_end(world) -> None:
    response = acme_list(world["acme_admin"], created_from="2024-09-01", created_to="2024-02-01")
    assert errors_of(response, "created_to") == ["The creation range ends before it starts."]
    assert response.context["filters_open"] is True
    expected = {u.email for u in acme_users() if _day(u.created_at) >= dt.date(2024, 9, 1)}
    assert set(all_pages(world["acme_admin"], reverse("user_list", kwargs={"slug": "acme"}),
                         {"created_from": "2024-09-01", "created_to": "2024-02-01"})) == expected


def test_links_carry_the_valid_state_only(world) -> None:
    response = acme_list(world["acme_admin"], blocked="no", sort="nonsense", q="acme")
    next_params = parse_qs(urlsplit(response.context["listing"].next_url).query)
    assert next_params["blocked"] == ["no"] and next_params["q"] == ["acme"] and "sort" not in next_params
    export = parse_qs(urlsplit(response.context["export_url"]).query)
    assert export == {"blocked": ["no"], "q": ["acme"]}


# -- the CSV export -----------------------------------------------------------------------------------
def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_export_is_the_whole_result_in_the_lists_order_with_its_columns(world) -> None:
    params = {"sort": "-logins", "verified": "yes"}
    url = reverse("user_list", kwargs={"slug": "acme"})
    on_screen = all_pages(world["acme_admin"], url, params)
    response = world["acme_admin"].get(reverse("user_export", kwargs={"slug": "acme"}), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="acme-users-{timezone.now():%Y-%m-%d}.csv"'
    rows = read_csv(response)
    assert rows[0] == ["Name", "Email", "Verified", "Connection", "Blocked", "Sign-ins", "Last sign-in (UTC)",
                       "Created (UTC)"]
    assert [r[1] for r in rows[1:]] == on_screen
    user = DirectoryUser.objects.get(email=rows[1][1])
    assert rows[1] == [
        user.name, user.email, "Yes", user.connection, "Yes" if user.blocked else "No", str(user.logins_count),
        user.last_login.strftime("%Y-%m-%d %H:%M") if user.last_login else "Never",
        user.created_at.strftime("%Y-%m-%d %H:%M"),
    ]


def test_company_admins_export_with_the_organizations_column(world) -> None:
    response = world["company"].get(reverse("directory_user_export"), {"org": "-"})
    rows = read_csv(response)
    assert rows[0][-1] == "Organizations"
    assert [r[1] for r in rows[1:]] == ["nora@nowhere.test"] and rows[1][-1] == ""
    assert f'filename="no-organization-users-{timezone.now():%Y-%m-%d}.csv"' in response["Content-Disposition"]
    rows = read_csv(world["company"].get(reverse("directory_user_export"), {"q": "beta"}))
    assert [(r[1], r[-1]) for r in rows[1:]] == [("bea@beta.test", "Beta"), ("ben@beta.test", "Beta")]
    everyone = read_csv(world["company"].get(reverse("directory_user_export")))
    assert len(everyone) - 1 == DirectoryUser.objects.count()


def test_an_export_with_invalid_filters_goes_back_to_the_list_showing_them(world) -> None:
    url = reverse("user_export", kwargs={"slug": "acme"})
    response = world["acme_admin"].get(url, {"login_from": "not-a-date"}, follow=True)
    assert response.redirect_chain[0][0] == reverse("user_list", kwargs={"slug": "acme"}) + "?login_from=not-a-date"
    assert errors_of(response, "login_from") == ["Enter a valid date."]
    assert "Correct the filters marked below, then export again." in response.content.decode()


def test_formula_injection_is_guarded_in_the_export(world) -> None:
    directory_users_upsert([auth0_user(connection="acme-users", email="evil@acme.test",
                                       name='=HYPERLINK("http://evil.test","Click")')])
    rows = read_csv(world["acme_admin"].get(reverse("user_export", kwargs={"slug": "acme"}), {"q": "evil"}))
    assert rows[1][0] == '\'=HYPERLINK("http://evil.test","Click")'
    assert rows[1][1] == "evil@acme.test"


# -- the organization page and the navigation ---------------------------------------------------------------
def test_the_organization_page_shows_the_user_count_and_links_to_the_list(world) -> None:
    page = world["acme_viewer"].get(reverse("organization_detail", kwargs={"slug": "acme"})).content.decode()
    assert f"{len(acme_users())} users in the directory" in page
    assert f'href="{reverse("user_list", kwargs={"slug": "acme"})}"' in page
    assert f'href="{reverse("directory_user_list")}"' not in page  # "Users" in the navigation: company admins
    company = world["company"].get(reverse("organization_detail", kwargs={"slug": "beta"})).content.decode()
    assert "2 users in the directory" in company
    assert f'<a class="nav-link" href="{reverse("directory_user_list")}">Users</a>' in company
