"""An invitation to join, in a browser: Initech's admin invites someone who already has an account (a Globex
member); they are not added, and the admin sees the invitation waiting. The person opens the emailed link,
signs in as themselves, accepts, and finds Initech among their organizations; the tenant then lists them
in Initech, and nothing else of their account changed."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from auth0_gateway import gateway
from organizations.models import OrganizationRole
from tests.e2e.pages import check_page, outcome_expect, run_pending, sign_in, sign_out
from tests.factories import RoleFactory
from users.tasks import join_invitation_accept, user_invite

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Consultant-2026-keys!"


@pytest.fixture
def initech(portal, demo_organizations, settings):
    settings.EMAIL_BACKEND = "portal.outbox.backend.OutboxBackend"
    settings.PORTAL_BASE_URL = portal
    initech = demo_organizations["initech"]
    admin = gateway().users_by_email(email="admin@initech.test")[0]
    RoleFactory(organization=initech, user_id=admin["user_id"], email="admin@initech.test",
                role=OrganizationRole.Role.ADMIN)
    return initech


def test_someone_with_an_account_joins_only_by_accepting(portal, page: Page, initech, created_users) -> None:
    email = f"pat-{uuid.uuid4().hex[:8]}@partner.test"
    created_users.append(email)
    auth0 = gateway()
    person = auth0.user_create(connection="Username-Password-Authentication", email=email, password=PASSWORD,
                               email_verified=True, name="Pat Partner")
    globex = auth0.organization_get_by_name(name="globex")
    auth0.organization_members_add(organization_id=globex["id"], user_ids=[person["user_id"]])
    before = auth0.user_get(user_id=person["user_id"])

    sign_in(page, portal, "admin@initech.test")
    check_page(page)
    page.goto(f"{portal}/o/initech/users/invite/")
    check_page(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text(f"Inviting {email}")).to_be_visible()
    check_page(page)
    operation = run_pending("user_invite", user_invite)
    assert operation.status == "succeeded", operation.last_error
    outcome_expect(page, f"{email} is invited: they join Initech when they accept")
    check_page(page)
    assert auth0.user_get(user_id=person["user_id"]) == before  # asked, not added
    page.goto(f"{portal}/o/initech/users/invitations/")
    expect(page.get_by_role("heading", name="Waiting for them to accept")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=email)).to_be_visible()
    check_page(page)
    sign_out(page)
    check_page(page)

    # The person: the email in the outbox, its link, signing in as themselves, the answer.
    page.goto(f"{portal}/outbox/")
    check_page(page)
    page.get_by_role("row").filter(has_text=email).get_by_role("link", name=re.compile("invites you to join")).click()
    check_page(page)
    page.get_by_role("link", name=re.compile(r"invitations.[0-9a-f-]{36}")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    check_page(page)
    page.get_by_label("Work email").fill(email)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Email address")).to_have_value(email)
    check_page(page)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Initech?")
    check_page(page)
    page.get_by_role("button", name="Accept and join Initech").click()
    expect(page).to_have_url(f"{portal}/profile/")
    expect(page.get_by_text("Joining the organization you accepted")).to_be_visible()
    check_page(page)
    accepted = run_pending("user_join_accept", join_invitation_accept)
    assert accepted.status == "succeeded", accepted.last_error
    outcome_expect(page, "You joined the organization")
    expect(page.get_by_role("region", name="Your organizations").get_by_text("Initech")).to_be_visible()
    check_page(page)

    after = auth0.user_get(user_id=person["user_id"])
    assert after["app_metadata"]["organizations"] == ["initech"]
    assert [o["id"] for o in auth0.user_organizations(user_id=person["user_id"])] == [globex["id"]]
    assert after["email"] == before["email"] and not after.get("blocked")
