"""An organization admin blocks a user from the user's page in a browser: the action says what it does
on a page of its own, the page follows the operation, and the user's status shows the change."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from auth0_gateway import gateway
from portal.models import Operation
from tests.e2e.pages import check_page, run_pending, sign_in
from users.acts.invite import password_random
from users.directory.mirror import directory_user_write_through
from users.tasks import user_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_blocks_a_user_after_confirming(portal, page: Page, acme, created_users) -> None:
    email = f"grace-{uuid.uuid4().hex[:8]}@acme.test"
    created_users.append(email)
    user = gateway().user_create(connection="acme-users", email=email, password=password_random(),
                                 name="Grace Hopper")
    directory_user_write_through(user)
    sign_in(page, portal, "admin@acme.test")
    check_page(page)
    page.goto(f"{portal}/o/acme/users/?q=grace")
    check_page(page)
    page.get_by_role("link", name="Grace Hopper").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
    check_page(page)
    page.get_by_role("navigation", name="Actions on this user").get_by_role("link", name="Block").click()
    expect(page.get_by_text("They will not be able to sign in until an admin unblocks them.")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Block").click()
    expect(page.get_by_text("Block a user:")).to_be_visible()
    check_page(page)
    assert run_pending("user_block", user_action).status == "succeeded"
    # operations.js sees the operation finish and reloads the page onto its outcome.
    expect(page.get_by_text("Block a user: done.")).to_be_visible(timeout=15000)
    expect(page.get_by_text("Yes: this user cannot sign in")).to_be_visible()
    expect(page.get_by_role("link", name="Unblock")).to_be_visible()
    check_page(page)
    assert gateway().user_get(user_id=user["user_id"])["blocked"] is True


def test_an_admin_sends_change_password_emails_to_a_selection(portal, page: Page, acme, created_users) -> None:
    """On the list, the admin selects every user a search found, reviews who gets the email, and confirms;
    the operations page follows them and each person's email arrives."""
    tag = uuid.uuid4().hex[:6]
    for first in ("Ada", "Alan"):
        email = f"{first.lower()}-{tag}@acme.test"
        created_users.append(email)
        directory_user_write_through(gateway().user_create(
            connection="acme-users", email=email, password=password_random(), name=f"{first} {tag}"))
    sign_in(page, portal, "admin@acme.test")
    check_page(page)
    page.goto(f"{portal}/o/acme/users/?q={tag}")
    check_page(page)
    page.get_by_role("checkbox", name="Select every user on this page").check()
    expect(page.get_by_role("checkbox", name=f"Select Ada {tag}")).to_be_checked()
    page.get_by_label("With the selected users").select_option(label="Send a change-password email")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send a change-password email?")
    expect(page.get_by_text(f"Alan {tag}")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Send a change-password email (2 users)").click()
    expect(page.get_by_text("Send a change-password email: queued for 2 users.")).to_be_visible()
    check_page(page)
    queued = list(Operation.objects.filter(kind="user_password_email"))
    assert len(queued) == 2
    for operation in queued:
        user_action.apply(args=[str(operation.id)])
        operation.refresh_from_db()
        assert operation.status == "succeeded", operation.last_error
    # operations.js sees them finish and reloads the page onto their outcome, once or twice (one may finish
    # between two polls). Wait for the document that shows both succeeded, not only for the pollers to go:
    # mid-reload the old document has none either, and checking it would leave the new one unchecked.
    for operation in queued:
        row = page.locator("tr.operation-row").filter(has=page.locator(f'a[href$="/operations/{operation.id}/"]'))
        expect(row).to_have_class(re.compile(r"\boperation-succeeded\b"), timeout=15000)
    expect(page.locator("[data-operation-poll]")).to_have_count(0)
    check_page(page)
    page.goto(f"{portal}/outbox/")
    check_page(page)
    for first in ("ada", "alan"):
        expect(page.get_by_text(f"{first}-{tag}@acme.test").first).to_be_visible()
