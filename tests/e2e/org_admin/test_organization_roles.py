"""Admins and viewers on an organization's page: the role form, the outcome of an appointment that
fails in the worker, and removing a viewer through the confirmation page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from auth0_gateway import gateway
from organizations.models import OrganizationRole
from organizations.tasks import role_grant
from tests.e2e.pages import check_page, expect_field_error, run_pending, sign_in
from tests.factories import RoleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Long enough to need wrapping on a phone: the Remove button must still be on screen.
VIEWER_NAME = "Maximiliana Featherstonehaugh-Wolfeschlegelsteinhausen"
VIEWER_EMAIL = "maximiliana.featherstonehaugh-wolfeschlegelsteinhausen@initech.test"


@pytest.fixture
def initech(portal, demo_organizations):
    """Initech (shared connection, accent #146c43) with its demo admin and a viewer."""
    initech = demo_organizations["initech"]
    admin = gateway().users_by_email(email="admin@initech.test")[0]
    RoleFactory(organization=initech, user_id=admin["user_id"], email="admin@initech.test", name=admin.get("name", ""),
                role=OrganizationRole.Role.ADMIN)
    RoleFactory(organization=initech, email=VIEWER_EMAIL, name=VIEWER_NAME, role=OrganizationRole.Role.VIEWER)
    return initech


def test_role_form_errors_and_a_failed_appointment_show_in_the_roles_section(
    portal, page: Page, company_admin, initech
) -> None:
    sign_in(page, portal, company_admin)
    check_page(page)
    page.goto(f"{portal}/o/initech/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Initech")
    expect(page.locator("nav.portal-navbar")).to_have_css("background-color", "rgb(20, 108, 67)")
    check_page(page)

    roles = page.get_by_role("region", name="Administrators and viewers")
    email = roles.get_by_label("Email of a user of Initech")
    email.fill("not-an-email")
    roles.get_by_label("Role").select_option(label="Viewer")
    roles.get_by_role("button", name="Appoint").click()
    expect_field_error(email, "Enter a valid email address.")
    expect(email).to_have_value("not-an-email")
    expect(roles.get_by_label("Role")).to_have_value("viewer")
    check_page(page)

    # A real user of the tenant, but of Acme's connection: not one of Initech's users.
    email.fill("user01@acme.test")
    roles.get_by_role("button", name="Appoint").click()
    expect(page).to_have_url(f"{portal}/o/initech/")
    expect(roles).to_contain_text("Looking up user01@acme.test among Initech's users: Pending")
    expect(email).to_have_value("")
    check_page(page)

    assert run_pending("role_grant", role_grant).status == "failed"
    # operations.js sees the operation finish and reloads the page: the reason shows in the roles section.
    failure = roles.get_by_role("alert")
    expect(failure).to_have_text(
        "Could not make user01@acme.test viewer: No user of Initech has the email user01@acme.test: "
        "the person must be a user of the organization before they get a role.", timeout=15000)
    check_page(page)
    assert not initech.roles.filter(email="user01@acme.test").exists()
    # The only errors on the way are the invalid form's answer (400, as a form with errors is).
    errors = page.console_errors  # type: ignore[attr-defined]
    assert errors and all("400" in e and f"{portal}/o/initech/roles/" in e for e in errors), errors


def test_removing_a_viewer_asks_first_and_cancel_keeps_the_role(portal, page: Page, initech) -> None:
    # Initech's own admin: discovery sends initech.test to the shared connection, and they land on Initech.
    sign_in(page, portal, "admin@initech.test")
    expect(page).to_have_url(f"{portal}/o/initech/")
    roles = page.get_by_role("region", name="Administrators and viewers")
    expect(roles.get_by_role("row").filter(has_text=VIEWER_NAME)).to_contain_text(VIEWER_EMAIL)
    check_page(page)  # at 390 px too: the long name wraps and its Remove button stays on screen

    remove = roles.get_by_role("link", name=f"Remove {VIEWER_NAME} as viewer")
    remove.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Remove {VIEWER_NAME} as viewer?")
    expect(page.get_by_role("main")).to_contain_text("will no longer see Initech in the portal")
    check_page(page)
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(f"{portal}/o/initech/")
    expect(roles.get_by_role("row").filter(has_text=VIEWER_NAME)).to_be_visible()
    check_page(page)
    assert initech.roles.filter(email=VIEWER_EMAIL).exists()

    remove.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Remove {VIEWER_NAME} as viewer?")
    check_page(page)
    page.get_by_role("button", name="Remove viewer").click()
    expect(page).to_have_url(f"{portal}/o/initech/")
    expect(page.get_by_role("status").filter(has_text=f"{VIEWER_NAME} is no longer viewer of Initech.")).to_be_visible()
    expect(roles.get_by_role("row").filter(has_text=VIEWER_NAME)).to_have_count(0)
    expect(page.get_by_role("region", name="Audit trail")).to_contain_text(f"Removed {VIEWER_EMAIL} as viewer")
    check_page(page)
    assert not initech.roles.filter(email=VIEWER_EMAIL).exists()
    assert page.console_errors == []  # type: ignore[attr-defined]
