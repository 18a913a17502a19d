"""The personas in a real browser: sign-in through the emulator's login page, home-realm discovery,
landing pages, creating an organization, and a logout that ends both sessions."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from auth0_gateway import gateway
from organizations.tasks import organization_provision, role_grant
from portal.models import Operation
from tests.e2e.pages import DEMO_PASSWORD, check_page, sign_in, sign_out
from tests.factories import CompanyAdminFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _run_pending(kind: str, task) -> Operation:
    operation = Operation.objects.filter(kind=kind).order_by("-created_at").first()
    task.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    return operation


def test_company_admin_creates_an_org_whose_admin_then_signs_in_through_discovery(portal, page: Page) -> None:
    CompanyAdminFactory(user_id=gateway().users_by_email(email="admin@portal.test")[0]["user_id"])

    sign_in(page, portal, "admin@portal.test")
    expect(page).to_have_url(f"{portal}/orgs/")
    expect(page.get_by_role("heading", name="Organizations")).to_be_visible()
    check_page(page)

    page.get_by_role("link", name="New organization").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New organization")
    check_page(page)
    page.get_by_label("Display name").fill("Acme Browser")
    page.get_by_label("Slug").fill("acme-browser")
    page.get_by_label("Isolated connection (its own database connection)").check()
    page.get_by_label("Connection name").fill("acme-users")
    page.get_by_label("Domains").fill("acme.test")
    page.get_by_role("button", name="Create organization").click()
    expect(page).to_have_url(f"{portal}/o/acme-browser/")
    expect(page.get_by_role("status").filter(has_text="Acme Browser was created")).to_be_visible()
    expect(page.locator("[data-operation-poll]").first).to_contain_text("Pending")
    check_page(page)

    # The worker's part, run here with .apply(): the page follows the operation and shows the result.
    assert _run_pending("organization_provision", organization_provision).status == "succeeded"
    expect(page.get_by_text("Connected", exact=True)).to_be_visible(timeout=15000)
    check_page(page)

    page.get_by_label("Email of a user of Acme Browser").fill("admin@acme.test")
    page.get_by_label("Role").select_option("admin")
    page.get_by_role("button", name="Appoint").click()
    expect(page.locator(".followed-operations")).to_contain_text("Looking up admin@acme.test")
    check_page(page)
    assert _run_pending("role_grant", role_grant).status == "succeeded"
    # The page follows the operation and shows its outcome without a reload.
    expect(page.locator(".followed-operations")).to_contain_text("admin@acme.test is now admin", timeout=15000)
    expect(page.get_by_role("link", name=re.compile(r"^Remove .* as admin$"))).to_be_visible()
    check_page(page)
    sign_out(page)

    # The org admin: discovery routes acme.test to the org's own connection.
    page.goto(f"{portal}/login/")
    check_page(page)
    page.get_by_label("Work email").fill("admin@acme.test")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("[data-connections]")).to_have_attribute("data-connections", "acme-users")
    check_page(page)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{portal}/o/acme-browser/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Browser")
    check_page(page)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_person_without_a_role_lands_on_the_profile_and_logout_ends_both_sessions(portal, page: Page) -> None:
    sign_in(page, portal, "enduser@portal.test")
    expect(page).to_have_url(f"{portal}/profile/")
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    expect(page.get_by_text("enduser@portal.test")).to_be_visible()
    check_page(page)

    sign_out(page)
    page.goto(f"{portal}/profile/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/profile/$"))  # the portal session is gone
    check_page(page)
    # …and so is the emulator's: signing in again asks for the password instead of passing silently.
    page.get_by_label("Work email").fill("enduser@portal.test")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Password")).to_be_visible()
    check_page(page)
    assert page.console_errors == []  # type: ignore[attr-defined]
