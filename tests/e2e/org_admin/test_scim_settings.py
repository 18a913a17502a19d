"""An organization's admin connects their identity provider: from the organization's page to Provisioning (SCIM), a
name refused beside its field, a token made and shown once, rotated behind a confirmation (the old one stops
working), and what a deactivation does chosen; every page checked with axe at desktop and phone widths."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.pages import check_page, expect_field_error, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_makes_rotates_and_uses_a_scim_token(portal, page: Page, acme) -> None:
    sign_in(page, portal, "admin@acme.test")
    check_page(page)
    page.goto(f"{portal}/o/acme/")
    check_page(page)
    page.get_by_role("link", name="Provisioning (SCIM)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Provisioning from your identity provider (SCIM)")
    expect(page.get_by_label("SCIM base URL", exact=False)).to_have_value(f"{portal}/scim/v2/acme")
    check_page(page)

    name = page.get_by_role("region", name="Tokens").get_by_label("Identity provider")
    name.fill("x" * 100)
    page.get_by_role("button", name="Make a token").click()
    expect_field_error(name, "Name the identity provider in 1 to 80 characters, like Okta.")
    expect(name).to_have_value("x" * 100)
    check_page(page)

    name.fill("Okta")
    page.get_by_role("button", name="Make a token").click()
    token = page.get_by_label("Token", exact=False).input_value()
    assert token.startswith("scim_")
    check_page(page)
    assert httpx.get(f"{portal}/scim/v2/acme/Users", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("cell", name="Okta", exact=True)).to_be_visible()
    assert token not in page.content()
    check_page(page)

    page.get_by_role("link", name="Rotate the token of Okta").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a new token for Okta?")
    check_page(page)
    page.get_by_role("button", name="Rotate the token").click()
    rotated = page.get_by_label("Token", exact=False).input_value()
    assert rotated != token
    check_page(page)
    assert httpx.get(f"{portal}/scim/v2/acme/Users", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert httpx.get(f"{portal}/scim/v2/acme/Users", headers={"Authorization": f"Bearer {rotated}"}).status_code == 200
    page.get_by_role("link", name="Done").click()
    check_page(page)

    page.get_by_label("Remove them from the organization", exact=False).check()
    page.get_by_role("region", name="When someone leaves").get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved what a deactivation does.")).to_be_visible()
    expect(page.get_by_label("Remove them from the organization", exact=False)).to_be_checked()
    check_page(page)
