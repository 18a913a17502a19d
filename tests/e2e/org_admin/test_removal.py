"""An organization admin in a browser revokes a pending invitation from the organization's pending
invitations page, and deletes a user from the user's page, typing the user's email to confirm (a wrong
one first, refused beside the field); each page is checked with axe and at phone width."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from auth0_gateway import Auth0NotFound, gateway
from organizations.selectors import principal_for_user_id
from tests.e2e.pages import check_page, expect_field_error, outcome_expect, run_pending, sign_in
from users.acts.invite import password_random, user_invite_request
from users.directory.mirror import directory_user_write_through
from users.models import DirectoryUser
from users.tasks import invitation_revoke, user_delete, user_invite

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_revokes_an_invitation_and_deletes_a_user(portal, page: Page, acme, created_users) -> None:
    admin = principal_for_user_id(acme.roles.get().user_id, "Acme admin")
    invited = f"ida-{uuid.uuid4().hex[:8]}@acme.test"
    doomed = f"dora-{uuid.uuid4().hex[:8]}@acme.test"
    created_users += [invited, doomed]
    invitation = user_invite_request(actor=admin, organization=acme, email=invited, name="Ida Invited")
    user_invite.apply(args=[str(invitation.id)])
    invitation.refresh_from_db()
    assert invitation.status == "succeeded", invitation.last_error
    dora = gateway().user_create(connection="acme-users", email=doomed, password=password_random(),
                                 name="Dora Doomed")
    directory_user_write_through(dora)

    sign_in(page, portal, "admin@acme.test")
    check_page(page)
    # Revoke the invitation: from the organization's page to its pending invitations.
    page.goto(f"{portal}/o/acme/")
    check_page(page)
    page.get_by_role("link", name="Pending invitations of Acme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pending invitations")
    check_page(page)
    row = page.get_by_role("row").filter(has_text=invited)
    expect(row).to_contain_text("Ida Invited")
    row.get_by_role("link", name=f"Revoke the invitation of {invited}").click()
    expect(page.get_by_text("The account the invitation created for them, never used, is deleted")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Revoke the invitation").click()
    expect(page.get_by_text(f"Revoke an invitation ({invited})")).to_be_visible()
    check_page(page)
    operation = run_pending("user_invite_revoke", invitation_revoke)
    assert operation.status == "succeeded", operation.last_error
    outcome_expect(page, f"The invitation of {invited} is revoked")
    expect(page.get_by_role("row").filter(has_text=invited)).to_have_count(0)
    check_page(page)
    assert gateway().users_by_email(email=invited) == []

    # Delete a user: the wrong email first, then the right one.
    page.goto(f"{portal}/o/acme/users/{dora['user_id']}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dora Doomed")
    check_page(page)
    page.get_by_role("navigation", name="Actions on this user").get_by_role("link", name="Delete the user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete Dora Doomed?")
    check_page(page)
    field = page.get_by_label("Their email address, to confirm")
    field.fill("dora@acme.test")
    page.get_by_role("button", name="Delete the user").click()
    expect_field_error(page.get_by_label("Their email address, to confirm"),
                       f"That is not Dora Doomed's email address: type {doomed} exactly to confirm the deletion.")
    expect(page.get_by_label("Their email address, to confirm")).to_have_value("dora@acme.test")
    check_page(page)
    assert gateway().user_get(user_id=dora["user_id"])["email"] == doomed  # nothing happened
    page.get_by_label("Their email address, to confirm").fill(doomed)
    page.get_by_role("button", name="Delete the user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete a user")
    check_page(page)
    operation = run_pending("user_delete", user_delete)
    assert operation.status == "succeeded", operation.last_error
    page.reload()
    expect(page.get_by_role("status")).to_have_text("Succeeded")
    check_page(page)
    with pytest.raises(Auth0NotFound):
        gateway().user_get(user_id=dora["user_id"])
    assert not DirectoryUser.objects.filter(user_id=dora["user_id"]).exists()
