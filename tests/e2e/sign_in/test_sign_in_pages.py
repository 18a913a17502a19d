"""The ways in and where they lead: the sign-in page and its error, an organization's own sign-in page,
the organization chooser for someone with roles in two organizations, and the profile page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from auth0_gateway import gateway
from organizations.models import OrganizationRole
from tests.e2e.pages import DEMO_PASSWORD, check_page, expect_field_error
from tests.factories import RoleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_page_shows_a_malformed_email_beside_the_field(portal, page: Page) -> None:
    page.goto(f"{portal}/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    email = page.get_by_label("Work email")
    expect(email).to_be_focused()
    check_page(page)

    email.fill("someone at acme.test")
    page.get_by_role("button", name="Continue").click()
    expect_field_error(email, "Enter a valid email address.")
    expect(email).to_have_value("someone at acme.test")
    check_page(page)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_organization_sign_in_leads_someone_with_two_organizations_to_the_chooser(
    portal, page: Page, demo_organizations
) -> None:
    acme, initech = demo_organizations["acme"], demo_organizations["initech"]
    person = gateway().users_by_email(email="admin@acme.test")[0]
    RoleFactory(organization=acme, user_id=person["user_id"], email="admin@acme.test", role=OrganizationRole.Role.ADMIN)
    RoleFactory(organization=initech, user_id=person["user_id"], email="admin@acme.test",
                role=OrganizationRole.Role.VIEWER)

    # Acme's bookmarkable sign-in page, in Acme's accent colour.
    page.goto(f"{portal}/o/acme/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Acme")
    expect(page.locator("nav.portal-navbar")).to_have_css("background-color", "rgb(176, 42, 55)")
    check_page(page)
    page.get_by_role("button", name="Continue to sign in").click()
    # The emulator's hosted login page, for Acme's own connection only.
    expect(page.locator("[data-connections]")).to_have_attribute("data-connections", "acme-users")
    check_page(page)
    page.get_by_label("Email address").fill("admin@acme.test")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(f"{portal}/choose/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose an organization")
    choices = page.get_by_role("main").get_by_role("link")
    expect(choices).to_have_count(2)
    expect(choices.nth(0)).to_have_text(re.compile(r"^\s*Acme\s+Admin\s*$"))
    expect(choices.nth(1)).to_have_text(re.compile(r"^\s*Initech\s+Viewer\s*$"))
    check_page(page)

    choices.filter(has_text="Acme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme")
    expect(page.get_by_text("Your role: Admin")).to_be_visible()
    expect(page.locator("nav.portal-navbar")).to_have_css("background-color", "rgb(176, 42, 55)")
    check_page(page)

    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    expect(page.get_by_role("definition").filter(has_text="admin@acme.test")).to_be_visible()
    check_page(page)
    assert page.console_errors == []  # type: ignore[attr-defined]
