"""An organization admin edits a user's metadata in a browser: a value the schema refuses is shown beside
its field with what was typed kept; a good one is reviewed, saved to Auth0 by the task, and the user's page,
following the operation, shows it."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from auth0_gateway import gateway
from organizations.models import MetadataField
from tests.e2e.pages import check_page, expect_field_error, run_pending, sign_in
from users.acts.invite import password_random
from users.directory.mirror import directory_user_write_through
from users.tasks import user_email_change, user_metadata_edit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_edits_a_field_and_sees_it_saved(portal, page: Page, acme, created_users) -> None:
    MetadataField.objects.create(organization=acme, key="department", label="Department", max_length=12, position=0)
    MetadataField.objects.create(organization=acme, key="badge", label="Badge number", type="integer", position=1)
    email = f"lin-{uuid.uuid4().hex[:8]}@acme.test"
    created_users.append(email)
    user = gateway().user_create(connection="acme-users", email=email, password=password_random(),
                                 name="Lin Chen", user_metadata={"department": "Research"})
    directory_user_write_through(user)
    sign_in(page, portal, "admin@acme.test")
    check_page(page)
    page.goto(f"{portal}/o/acme/users/?q=lin-")
    check_page(page)
    page.get_by_role("link", name="Lin Chen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lin Chen")
    check_page(page)
    page.get_by_role("navigation", name="Actions on this user").get_by_role("link", name="Edit metadata").click()
    expect(page.get_by_label("Department")).to_have_value("Research")
    check_page(page)

    page.get_by_label("Department").fill("Quality Assurance")
    page.get_by_label("Badge number").fill("twelve")
    page.get_by_role("button", name="Review changes").click()
    expect_field_error(page.get_by_label("Department"), "Keep it to 12 characters (this is 17).")
    expect_field_error(page.get_by_label("Badge number"), "Enter a whole number, like 42.")
    expect(page.get_by_label("Department")).to_have_value("Quality Assurance")
    check_page(page)

    page.get_by_label("Department").fill("Sales")
    page.get_by_label("Badge number").fill("1207")
    page.get_by_role("button", name="Review changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Save these changes to Lin Chen's metadata?")
    expect(page.get_by_role("row", name="Department Research Sales")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Edit metadata:")).to_be_visible()
    check_page(page)

    assert run_pending("user_metadata_edit", user_metadata_edit).status == "succeeded"
    # operations.js sees the operation finish and reloads the page onto its outcome.
    expect(page.get_by_text("Edit metadata: done.")).to_be_visible(timeout=15000)
    metadata = page.get_by_role("region", name="Metadata")
    expect(metadata).to_contain_text("Sales")
    expect(metadata).to_contain_text("1,207")
    check_page(page)
    assert gateway().user_get(user_id=user["user_id"])["user_metadata"] == {"department": "Sales", "badge": 1207}


def test_an_admin_changes_a_users_email_address(portal, page: Page, acme, created_users) -> None:
    """A taken or malformed address is refused beside the field, with what was typed kept; a free one is
    reviewed, then set unverified in Auth0 by the task, and the user's page shows it."""
    tag = uuid.uuid4().hex[:8]
    email, taken, new = (f"{who}-{tag}@acme.test" for who in ("kim", "taken", "kim.new"))
    created_users.extend([email, taken, new])
    user = gateway().user_create(connection="acme-users", email=email, password=password_random(), name="Kim Park")
    directory_user_write_through(user)
    directory_user_write_through(gateway().user_create(connection="acme-users", email=taken,
                                                       password=password_random()))
    sign_in(page, portal, "admin@acme.test")
    check_page(page)
    page.goto(f"{portal}/o/acme/users/?q=kim-")
    check_page(page)
    page.get_by_role("link", name="Kim Park").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kim Park")
    check_page(page)
    page.get_by_role("navigation", name="Actions on this user").get_by_role(
        "link", name="Change the email address").click()
    check_page(page)
    for wrong in ("kim.new@", taken):
        page.get_by_label("New email address").fill(wrong)
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_label("New email address")).to_have_value(wrong)
        expect(page.locator("#id_email_error")).to_be_visible()
        check_page(page)
    page.get_by_label("New email address").fill(new)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change Kim Park's email address?")
    check_page(page)
    page.get_by_role("button", name="Change the email address").click()
    check_page(page)
    assert run_pending("user_email_change", user_email_change).status == "succeeded"
    # operations.js sees the operation finish and reloads the page onto its outcome (wait for it: a check
    # of the page during the reload would be cut short).
    expect(page.get_by_text("Change the email address: done.")).to_be_visible(timeout=15000)
    expect(page.get_by_text(new).first).to_be_visible()
    check_page(page)
    changed = gateway().user_get(user_id=user["user_id"])
    assert (changed["email"], changed["email_verified"]) == (new, False)
