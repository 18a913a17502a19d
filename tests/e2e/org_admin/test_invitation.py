"""The whole invitation in a browser: an organization's admin invites a new person; the email arrives in
the outbox; following its link, the person chooses a password on the emulator's page, signs in to the
portal and lands on their profile. The random password the portal made appears nowhere: not in the
database, the task's message, the logs or any page."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from auth0_gateway import gateway
from tests.e2e.pages import check_page, expect_field_error, outcome_expect, run_pending, sign_in, sign_out
from users.acts import invite as invitations
from users.tasks import user_invite

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHOSEN = "Lovelace-1843-engines!"


def test_an_invited_person_sets_a_password_and_signs_in(portal, page: Page, acme, created_users, monkeypatch,
                                                         caplog) -> None:
    caplog.set_level(logging.DEBUG)
    made: list[str] = []
    real = invitations.password_random
    monkeypatch.setattr(invitations, "password_random", lambda *a, **k: made.append(real(*a, **k)) or made[-1])
    email = f"ada-{uuid.uuid4().hex[:8]}@acme.test"
    created_users.append(email)
    seen: list[str] = []
    page.on("load", lambda p: seen.append(p.content()))

    sign_in(page, portal, "admin@acme.test")
    check_page(page)
    page.goto(f"{portal}/o/acme/users/")
    check_page(page)
    page.get_by_role("link", name="Invite a user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite a user to Acme")
    check_page(page)
    page.get_by_label("Email address").fill("not an email")
    page.get_by_role("button", name="Send invitation").click()
    expect_field_error(page.get_by_label("Email address"), "Enter a valid email address, like name@example.com.")
    check_page(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Name (optional)").fill("Ada Lovelace")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text(f"Inviting {email}")).to_be_visible()
    check_page(page)
    operation = run_pending("user_invite", user_invite)
    assert operation.status == "succeeded", operation.last_error
    outcome_expect(page, f"{email} is invited")
    check_page(page)
    sign_out(page)
    check_page(page)

    # The person: the outbox, the email, its link, the emulator's password page.
    page.goto(f"{portal}/outbox/")
    check_page(page)
    page.get_by_role("row").filter(has_text=email).get_by_role("link", name="You are invited to Acme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are invited to Acme")
    check_page(page)
    page.get_by_role("link", name=re.compile(r"reset-password\?ticket=")).click()
    expect(page.get_by_label("New password", exact=True)).to_be_visible()
    check_page(page)
    page.get_by_label("New password", exact=True).fill(CHOSEN)
    page.get_by_label("Re-enter new password").fill(CHOSEN)
    page.get_by_role("button", name="Reset password").click()
    # Back at the organization's own sign-in page (the ticket's result_url).
    expect(page).to_have_url(re.compile("^" + re.escape(f"{portal}/o/acme/login")))
    expect(page.get_by_text("Your password is set. Sign in with it to continue.")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Continue to sign in").click()
    expect(page.get_by_label("Email address")).to_be_visible()
    check_page(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(CHOSEN)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{portal}/profile/")
    check_page(page)
    user = gateway().users_by_email(email=email)[0]
    assert user["email_verified"] is True and user["logins_count"] == 1

    # The password the portal made was used once and kept nowhere.
    [password] = made
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)  # every table of the portal's database
    database = dump.getvalue()
    places = {"database": database, "logs": caplog.text, "pages": "\n".join(seen),
              "task message": json.dumps({"args": [str(operation.id)]})}
    assert len(seen) >= 10 and any(email in html for html in seen) and "users/invite" in caplog.text
    for name, text in places.items():
        assert password not in text, name
