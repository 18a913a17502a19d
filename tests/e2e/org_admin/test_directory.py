"""The user directory in a real browser: Acme's admin searches, filters, sorts, pages through Acme's users
and opens one (whose Auth0 activity a refresh brings in); the company admin finds the same user across
organizations; Initech's admin cannot reach that user by URL. The mirror holds the demo tenant's users
(read from the emulator) and extra Acme users, so that Acme's list has three pages at 25 a page."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from auth0_gateway import gateway
from organizations.models import OrganizationRole
from tests.e2e.pages import check_page, expect_field_error, sign_in, sign_out
from tests.factories import RoleFactory
from tests.support.authn_browser import Browser
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert
from users.models import DirectoryUser
from users.tasks import user_activity_refresh

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXTRA_USERS = 20
# A tiny PNG served in place of Gravatar (the tests have no internet): the picture shows, nothing fails.
_PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@pytest.fixture
def directory(portal, demo_organizations, emulator) -> dict:
    """The demo tenant's users in the mirror, 20 more Acme users (three of them blocked, one with many
    sign-ins), and the demo admins of Acme and Initech."""
    tenant = list(gateway().users_search(q='email:*.test'))
    extra = [auth0_user(connection="acme-users", email=f"extra{i:02d}@acme.test", name=f"Extra Person {i:02d}",
                        blocked=i < 3, logins_count=5000 if i == 7 else i) for i in range(EXTRA_USERS)]
    directory_users_upsert(tenant + extra)
    for slug in ("acme", "initech"):
        admin = gateway().users_by_email(email=f"admin@{slug}.test")[0]
        RoleFactory(organization=demo_organizations[slug], user_id=admin["user_id"], email=f"admin@{slug}.test",
                    name=admin.get("name", ""), role=OrganizationRole.Role.ADMIN)
    acme_users = DirectoryUser.objects.filter(memberships__organization__slug="acme")
    user07 = DirectoryUser.objects.get(email="user07@acme.test")
    return {"acme_total": acme_users.count(), "blocked": acme_users.filter(blocked=True).count(), "user07": user07,
            "emulator": emulator}


def gravatar_stub(page: Page) -> None:
    page.route("https://s.gravatar.com/**", lambda route: route.fulfill(status=200, content_type="image/png",
                                                                       body=_PIXEL))


def rows(page: Page):
    return page.get_by_role("table").first.locator("tbody").get_by_role("row")


def test_an_org_admin_searches_filters_sorts_pages_and_opens_a_user(portal, page: Page, directory) -> None:
    gravatar_stub(page)
    total = directory["acme_total"]
    assert total > 50  # three pages at 25 a page
    sign_in(page, portal, "admin@acme.test")
    expect(page).to_have_url(f"{portal}/o/acme/")
    users = page.get_by_role("region", name="Users")
    expect(users).to_contain_text(f"{total} users in the directory")
    check_page(page)

    users.get_by_role("link", name="View users of Acme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users of Acme")
    expect(page.locator("#user-total")).to_have_text(f"{total} users")
    expect(rows(page)).to_have_count(25)
    check_page(page)

    # Search: every word must match.
    search = page.get_by_role("searchbox").or_(page.get_by_label("Search"))
    search.fill("user07")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#user-total")).to_have_text("1 user")
    expect(rows(page).first).to_contain_text("user07@acme.test")
    expect(search).to_have_value("user07")
    check_page(page)

    # A filter, with a bad date beside it: the error shows there and the rest still applies.
    page.get_by_role("link", name="Clear search and filters").click()
    expect(page.locator("#user-total")).to_have_text(f"{total} users")
    check_page(page)
    page.get_by_text("Filters, sort and page size").click()
    page.get_by_label("Blocked").select_option(label="Yes")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#user-total")).to_have_text(f"{directory['blocked']} users")
    expect(page.get_by_label("Blocked")).to_have_value("yes")
    check_page(page)
    page.goto(page.url + "&created_to=2025-13-45")
    expect_field_error(page.get_by_label("Created to"), "Enter a valid date.")
    expect(page.get_by_label("Created to")).to_have_value("2025-13-45")
    expect(page.locator("#user-total")).to_have_text(f"{directory['blocked']} users")
    check_page(page)

    # Sort by a column header: ascending, then descending (the most sign-ins first).
    page.goto(f"{portal}/o/acme/users/")
    check_page(page)
    header = page.get_by_role("columnheader", name="Sign-ins")
    header.get_by_role("link").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    check_page(page)
    header.get_by_role("link").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(rows(page).first).to_contain_text("extra07@acme.test")
    expect(rows(page).first).to_contain_text("5,000")
    check_page(page)

    # Keyset paging: next, next (the end), previous, last, first; the cursor is in the URL.
    pages = page.get_by_role("navigation", name="Pages of users")
    first_page = rows(page).all_inner_texts()
    pages.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"[?&]after="))
    expect(rows(page)).to_have_count(25)
    second_page = rows(page).all_inner_texts()
    assert not set(first_page) & set(second_page)
    check_page(page)
    pages.get_by_role("link", name="Next").click()
    expect(rows(page)).to_have_count(total - 50)
    expect(pages.get_by_role("link", name="Next")).to_have_count(0)
    check_page(page)
    pages.get_by_role("link", name="Previous").click()
    expect(rows(page)).to_have_count(25)
    assert rows(page).all_inner_texts() == second_page
    check_page(page)
    pages.get_by_role("link", name="Last").click()
    expect(page).to_have_url(re.compile(r"[?&]page=last"))
    expect(rows(page)).to_have_count(25)
    check_page(page)
    pages.get_by_role("link", name="First").click()
    assert rows(page).all_inner_texts() == first_page
    check_page(page)

    # A damaged cursor: a message above the table, and the first page.
    page.goto(f"{portal}/o/acme/users/?sort=-logins&after=damaged")
    expect(page.get_by_role("alert")).to_have_text(
        "This page link is damaged or out of date. Showing the first page.")
    assert rows(page).all_inner_texts() == first_page
    check_page(page)

    # Open a user, then bring in their Auth0 activity (a failed sign-in made just now).
    user07 = directory["user07"]
    with Browser(directory["emulator"]) as browser:
        browser.login("user07@acme.test", "not-the-password")
    page.goto(f"{portal}/o/acme/users/?q=user07")
    check_page(page)
    rows(page).first.get_by_role("link", name=user07.display_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(user07.display_name)
    expect(page.get_by_role("region", name="Profile")).to_contain_text("user07@acme.test")
    activity = page.get_by_role("region", name="Activity in Auth0")
    expect(activity.get_by_role("status")).to_have_text("Fetching the newest activity from Auth0…")
    check_page(page)
    assert user_activity_refresh.apply(args=[user07.user_id]).get() > 0
    # activity.js sees the task finish and reloads the page onto the events.
    expect(activity.get_by_role("table")).to_contain_text("Failed login (wrong password)", timeout=15000)
    expect(activity).to_contain_text("as of")
    check_page(page)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_the_company_admin_finds_the_same_user_across_organizations(
    portal, page: Page, company_admin, directory
) -> None:
    gravatar_stub(page)
    user07 = directory["user07"]
    sign_in(page, portal, company_admin)
    expect(page).to_have_url(f"{portal}/orgs/")
    check_page(page)
    toggle = page.get_by_role("button", name="Toggle navigation")
    if toggle.is_visible():
        toggle.click()
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("All users")
    expect(page.get_by_role("columnheader", name="Organizations")).to_be_visible()
    check_page(page)

    page.get_by_label("Search").fill("user07")
    page.get_by_role("button", name="Search").click()
    # user07 of each demo organization that the mirror knows from the users' own data.
    found = rows(page).filter(has_text="user07@acme.test")
    expect(found).to_have_count(1)
    expect(found.locator("[data-label='Organizations']")).to_have_text("Acme")
    check_page(page)
    page.get_by_text("Filters, sort and page size").click()
    page.get_by_label("Organization").select_option(label="Acme")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#user-total")).to_have_text("1 user")
    check_page(page)

    found.get_by_role("link", name=user07.display_name).click()
    expect(page).to_have_url(f"{portal}/users/{quote(user07.user_id, safe='')}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(user07.display_name)
    expect(page.get_by_role("region", name="Organizations").get_by_role("link")).to_have_text(["Acme"])
    check_page(page)


def test_another_organizations_admin_cannot_reach_the_user_by_url(portal, page: Page, directory) -> None:
    user07 = directory["user07"]
    sign_in(page, portal, "admin@initech.test")
    expect(page).to_have_url(f"{portal}/o/initech/")
    check_page(page)
    for url in (f"{portal}/o/acme/users/{quote(user07.user_id, safe='')}/",
                f"{portal}/o/initech/users/{quote(user07.user_id, safe='')}/",
                f"{portal}/users/{quote(user07.user_id, safe='')}/",
                f"{portal}/o/acme/users/"):
        response = page.goto(url)
        assert response is not None and response.status == 404, url
        check_page(page)
        expect(page.locator("body")).not_to_contain_text(user07.email)
    page.goto(f"{portal}/o/initech/users/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Users of Initech")
    expect(page.locator("tbody")).not_to_contain_text("@acme.test")
    check_page(page)
    sign_out(page)
