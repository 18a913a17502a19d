"""An end user keeps their own profile in a browser, signed in through the emulator: they see their account in
their organization's branding with their recent sign-ins; edit a field their organization lets them edit (a
refused value beside its field, then reviewed, saved, shown, and in Auth0); ask for a change-password email
and find it in the outbox; have the verification email sent again; download their data; sign out everywhere.
A crafted POST from the same browser, adding an admin-only or an app_metadata field, is refused and changes
nothing."""

from __future__ import annotations

import html
import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from auth0_gateway import gateway
from organizations.models import Audience, MetadataField
from portal.models import Operation, OperationKind
from tests.e2e.pages import check_page, expect_field_error, run_pending, sign_in
from users.directory.mirror import directory_user_write_through
from users.tasks import profile_action, profile_data_export, profile_metadata_edit, user_activity_refresh

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Hopper-1906-cobol!"


def test_an_end_user_keeps_their_own_profile(portal, page: Page, acme, created_users, auth0_on_emulator) -> None:
    for position, (key, target, editable, label) in enumerate([
        ("desk", "user_metadata", Audience.END_USER, "Desk"),
        ("team", "user_metadata", Audience.ORG_ADMIN, "Team"),
        ("cost_centre", "app_metadata", Audience.ORG_ADMIN, "Cost centre"),
    ]):
        MetadataField.objects.create(organization=acme, key=key, target=target, label=label, position=position,
                                     editable_by=editable, visible_to=Audience.END_USER,
                                     max_length=10 if key == "desk" else None)
    email = f"grace-{uuid.uuid4().hex[:8]}@acme.test"
    created_users.append(email)
    user = gateway().user_create(connection="acme-users", email=email, password=PASSWORD, name="Grace Hopper",
                                 email_verified=False, verify_email=False, app_metadata={"cost_centre": "CC-7"},
                                 user_metadata={"desk": "B12", "team": "Compilers"})
    directory_user_write_through(user)

    # Signed in, a person with no role lands on their profile, in Acme's colours, their sign-ins fetched by a task.
    sign_in(page, portal, email, PASSWORD)
    expect(page).to_have_url(f"{portal}/profile/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    expect(page.locator("link[href*='/o/acme/theme.css']")).to_have_count(1)
    check_page(page)
    user_activity_refresh.apply(args=[user["user_id"]])
    activity = page.get_by_role("region", name="Recent sign-ins")
    expect(activity.get_by_role("cell", name="Successful login")).to_be_visible(timeout=15000)  # activity.js reloaded
    expect(activity.get_by_role("cell", name="127.0.0.1")).to_be_visible()
    check_page(page)
    details = page.get_by_role("region", name="Your details at Acme")
    expect(details).to_contain_text("B12")
    expect(details).to_contain_text("CC-7")
    expect(page.get_by_role("region", name="About you")).to_contain_text("Not verified yet")

    # Their own field: a refused value stays beside it; a good one is reviewed, saved and shown.
    details.get_by_role("link", name="Edit your details").click()
    expect(page.get_by_label("Desk")).to_have_value("B12")
    expect(page.get_by_label("Team")).to_have_count(0)
    check_page(page)
    page.get_by_label("Desk").fill("Mark I room 3")
    page.get_by_role("button", name="Review changes").click()
    expect_field_error(page.get_by_label("Desk"), "Keep it to 10 characters (this is 13).")
    expect(page.get_by_label("Desk")).to_have_value("Mark I room 3")
    check_page(page)
    page.get_by_label("Desk").fill("C3")
    page.get_by_role("button", name="Review changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Save these changes to your details?")
    expect(page.get_by_role("row", name="Desk B12 C3")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saving your details…")).to_be_visible()
    check_page(page)
    assert run_pending(OperationKind.PROFILE_METADATA_EDIT, profile_metadata_edit).status == "succeeded"
    expect(page.get_by_text("Your details were saved.")).to_be_visible(timeout=15000)  # operations.js reloaded
    expect(page.get_by_role("region", name="Your details at Acme")).to_contain_text("C3")
    check_page(page)
    stored = gateway().user_get(user_id=user["user_id"])
    assert stored["user_metadata"] == {"desk": "C3", "team": "Compilers"}
    assert stored["app_metadata"] == {"cost_centre": "CC-7"}

    # A crafted POST from this same browser (its session and CSRF token) adding what is not theirs.
    page.goto(f"{portal}/profile/details/acme/")
    check_page(page)
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    edits = Operation.objects.filter(kind=OperationKind.PROFILE_METADATA_EDIT).count()
    for crafted, refusal in (({"app_metadata.cost_centre": "CC-0"}, "Cost centre is kept by Acme's admins"),
                             ({"user_metadata.team": "Sales"}, "Team is kept by Acme's admins")):
        response = page.request.post(f"{portal}/profile/details/acme/", form={
            "csrfmiddlewaretoken": token, "user_metadata.desk": "D4", "confirm": "yes", **crafted})
        assert response.status == 400
        assert refusal in html.unescape(response.text())
    assert Operation.objects.filter(kind=OperationKind.PROFILE_METADATA_EDIT).count() == edits
    assert gateway().user_get(user_id=user["user_id"])["user_metadata"] == {"desk": "C3", "team": "Compilers"}
    assert gateway().user_get(user_id=user["user_id"])["app_metadata"] == {"cost_centre": "CC-7"}

    # A change-password email, found in the outbox.
    page.get_by_role("link", name="Back to your profile").click()
    check_page(page)
    page.get_by_role("button", name="Email me a link to choose a new password").click()
    expect(page.get_by_text("Sending you a change-password email…")).to_be_visible()
    check_page(page)
    assert run_pending(OperationKind.PROFILE_PASSWORD_EMAIL, profile_action).status == "succeeded"
    expect(page.get_by_text("A change-password email is on its way to you.")).to_be_visible(timeout=15000)
    check_page(page)
    page.goto(f"{portal}/outbox/")
    check_page(page)
    page.get_by_role("row").filter(has_text=email).get_by_role("link", name="Choose a new password for Acme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password for Acme")
    expect(page.get_by_role("link", name=re.compile(r"reset-password\?ticket="))).to_be_visible()
    check_page(page)

    # The verification email again: the portal's own, in Acme's branding; its link confirms the address.
    page.goto(f"{portal}/profile/")
    check_page(page)
    before = httpx.get(f"{auth0_on_emulator.url}/emulator/outbox", params={"to": email}).json()
    page.get_by_role("button", name="Resend the verification email").click()
    expect(page.get_by_text("Sending you a verification email…")).to_be_visible()
    check_page(page)
    assert run_pending(OperationKind.PROFILE_VERIFICATION_EMAIL, profile_action).status == "succeeded"
    expect(page.get_by_text("A verification email is on its way to you.")).to_be_visible(timeout=15000)
    check_page(page)
    assert httpx.get(f"{auth0_on_emulator.url}/emulator/outbox", params={"to": email}).json() == before
    page.goto(f"{portal}/outbox/")
    check_page(page)
    page.get_by_role("row").filter(has_text=email).get_by_role(
        "link", name="Confirm your email address for Acme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email address for Acme")
    check_page(page)
    page.get_by_role("link", name=re.compile(r"email-verification\?ticket=")).click()
    expect(page).to_have_url(re.compile("^" + re.escape(f"{portal}/o/acme/login")))
    expect(page.get_by_text("Your email address is confirmed. Sign in to continue.")).to_be_visible()
    check_page(page)
    assert gateway().users_by_email(email=email)[0]["email_verified"] is True

    # Their data, prepared by a task and downloaded.
    page.goto(f"{portal}/profile/")
    check_page(page)
    page.get_by_role("button", name="Prepare a download of my data").click()
    expect(page.get_by_text("Preparing the export of your data…")).to_be_visible()
    check_page(page)
    assert run_pending(OperationKind.PROFILE_DATA_EXPORT, profile_data_export).status == "succeeded"
    expect(page.get_by_text("Your data is ready: download it below.")).to_be_visible(timeout=15000)
    check_page(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^Download your data")).click()
    document = json.loads(Path(download.value.path()).read_text())
    assert document["account"]["email"] == email and document["user_metadata"] == {"desk": "C3", "team": "Compilers"}
    assert document["app_metadata"] == {"cost_centre": "CC-7"}
    assert document["organizations"] == [{"slug": "acme", "name": "Acme"}]
    assert "Edit own details (self-service): requested" in [e["action"] for e in document["audit_events"]]

    # Signing out everywhere, confirmed first.
    page.get_by_role("link", name="Sign out everywhere…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out everywhere?")
    check_page(page)
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page.get_by_text("Every other portal session of yours has ended.")).to_be_visible()
    check_page(page)
    assert run_pending(OperationKind.PROFILE_SESSIONS_REVOKE, profile_action).status == "succeeded"
    expect(page.get_by_text("You are signed out everywhere")).to_be_visible(timeout=15000)
    check_page(page)
