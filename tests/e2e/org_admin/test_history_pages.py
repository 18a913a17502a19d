"""An organization admin in a browser: filters the audit trail and downloads it as CSV, then finds a
failed operation at the top of the operations page, tries it again, and watches it succeed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from auth0_gateway import gateway
from organizations.selectors import principal_for_user_id
from portal.models import Operation
from tests.e2e.pages import check_page, sign_in
from tests.support.history import event_at, operation_in
from users.acts.account import USER_ACTIONS, user_action_request
from users.acts.invite import password_random
from users.directory.mirror import directory_user_write_through
from users.tasks import user_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_filters_the_audit_trail_downloads_it_and_retries_a_failed_operation(
    portal, page: Page, acme, created_users
) -> None:
    email = f"grace-{uuid.uuid4().hex[:8]}@acme.test"
    created_users.append(email)
    grace = gateway().user_create(connection="acme-users", email=email, password=password_random(),
                                  name="Grace Hopper")
    directory_user_write_through(grace)
    admin_id = gateway().users_by_email(email="admin@acme.test")[0]["user_id"]
    colleague = principal_for_user_id(admin_id, "Acme Colleague")
    # A block asked earlier that failed (Auth0 was down), then a later act that went through.
    blocked = user_action_request(actor=colleague, organization=acme, user_id=grace["user_id"],
                                  action=USER_ACTIONS["block"])
    Operation.objects.filter(pk=blocked.pk).update(
        status=Operation.Status.FAILED, attempts=8, finished_at=timezone.now(),
        last_error="Auth0 unavailable (503); gave up after 8 attempts")
    operation_in("succeeded", kind="user_password_email", organization=acme, target=grace["user_id"],
                 payload={"email": email})
    event_at(timezone.now() - dt.timedelta(days=3), actor=colleague, action="role.granted", organization=acme,
             summary="Made someone a viewer of Acme")

    sign_in(page, portal, "admin@acme.test")
    check_page(page)
    page.goto(f"{portal}/o/acme/")
    check_page(page)
    page.get_by_role("link", name="Audit trail of Acme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail of Acme")
    check_page(page)
    page.get_by_label("Actor").fill("colleague")
    page.get_by_label("Action").select_option(label="Block a user: requested")
    page.get_by_label("From").fill(timezone.now().date().isoformat())
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"action=user_block\.requested"))
    expect(page.get_by_text("1 event", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=f"Grace Hopper ({email})")).to_be_visible()
    check_page(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^Download CSV")).click()
    with open(download.value.path(), encoding="utf-8-sig") as file:
        header, *rows = list(csv.reader(io.StringIO(file.read())))
    assert header == ["Time (UTC)", "Actor", "Actor user id", "Action", "Target", "Target id", "What happened"]
    assert [(r[1], r[3], r[4]) for r in rows] == [("Acme Colleague", "Block a user: requested",
                                                   f"Grace Hopper ({email})")]

    page.get_by_role("link", name="Operations").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Operations of Acme")
    first = page.locator("tbody tr").first
    expect(first).to_contain_text("Block a user")
    expect(first.get_by_role("status")).to_have_text(
        "Failed (attempt 8): Auth0 unavailable (503); gave up after 8 attempts")
    check_page(page)
    first.get_by_role("button", name=re.compile("^Try again")).click()
    expect(page.get_by_text("Block a user: trying again.")).to_be_visible()
    check_page(page)
    operation = Operation.objects.get(pk=blocked.pk)
    assert operation.status == "pending"
    user_action.apply(args=[str(operation.id)])
    # operations.js sees the operation finish and reloads the page onto its outcome.
    expect(page.locator("tr.operation-succeeded", has_text="Block a user")).to_be_visible(timeout=15000)
    check_page(page)
    assert gateway().user_get(user_id=grace["user_id"])["blocked"] is True


def test_a_company_admin_follows_every_organization_and_confirms_a_second_email(
    portal, page: Page, company_admin, demo_organizations, settings
) -> None:
    settings.EMAIL_BACKEND = "portal.outbox.backend.OutboxBackend"
    acme, globex = demo_organizations["acme"], demo_organizations["globex"]
    failed = operation_in("failed", kind="user_password_email", organization=acme, target="auth0|gone",
                          payload={"email": "someone@acme.test"}, last_error="someone@acme.test is no longer a user "
                                                                             "of Acme.")
    operation_in("succeeded", kind="user_block", organization=globex, target="auth0|other",
                 payload={"email": "other@globex.test"})
    event_at(timezone.now(), action="company_admin.granted", target_type="user", target_id="auth0|new",
             summary="Made someone a company admin")

    sign_in(page, portal, company_admin)
    check_page(page)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Operations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Operations in every organization")
    expect(page.locator("tbody tr").first).to_contain_text("Acme")
    expect(page.locator("tbody tr").nth(1)).to_contain_text("Globex")
    check_page(page)
    page.locator("tbody tr").first.get_by_role("link", name=re.compile("^Try again")).click()
    expect(page.get_by_text("The change-password email is sent again: they may receive it twice.")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Operations in every organization")
    expect(page.get_by_text("Send a change-password email: trying again.")).to_be_visible()
    check_page(page)
    assert Operation.objects.get(pk=failed.pk).status == "pending"

    page.goto(f"{portal}/audit/?org=-")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail of every organization")
    expect(page.get_by_role("cell", name="Made someone a company admin")).to_be_visible()
    check_page(page)
