"""A company admin's pages in a real browser: the organization list, the new-organization form and its
errors, an organization's page, its settings, its metadata schema editor, and an operation's page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from organizations.models import MetadataField, Organization
from organizations.tasks import organization_provision
from tests.e2e.pages import check_page, expect_field_error, run_pending, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_organization_form_keeps_the_input_and_shows_each_error_beside_its_field(
    portal, page: Page, company_admin, demo_organizations
) -> None:
    sign_in(page, portal, company_admin)
    expect(page).to_have_url(f"{portal}/orgs/")
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows.nth(0)).to_contain_text("Organization")
    expect(rows.filter(has_text="Acme")).to_contain_text("Isolated connection (its own database connection)")
    expect(rows.filter(has_text="Initech")).to_contain_text("Shared connection")
    expect(rows.filter(has_text="Globex")).to_contain_text("Auth0 Organization")
    expect(rows.filter(has_text="Globex")).to_contain_text("globex.test")
    check_page(page)

    page.get_by_role("link", name="New organization").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New organization")
    check_page(page)
    page.get_by_label("Display name").fill("Acme Europe")
    page.get_by_label("Slug").fill("acme")  # Acme's
    page.get_by_label("Isolated connection (its own database connection)").check()
    page.get_by_label("Domains").fill("acme-eu.test\nnot a domain")
    page.get_by_role("button", name="Create organization").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("New organization")
    expect_field_error(page.get_by_label("Slug"), "Another organization already uses this slug.")
    expect_field_error(page.get_by_label("Domains"), "Not a valid email domain: not a domain.")
    expect(page.get_by_label("Display name")).to_have_value("Acme Europe")
    expect(page.get_by_label("Slug")).to_have_value("acme")
    expect(page.get_by_label("Domains")).to_have_value("acme-eu.test\nnot a domain")
    expect(page.get_by_label("Isolated connection (its own database connection)")).to_be_checked()
    expect(page.get_by_label("Display name")).not_to_have_attribute("aria-invalid", "true")
    check_page(page)
    assert not Organization.objects.filter(display_name="Acme Europe").exists()

    page.get_by_label("Slug").fill("acme-eu")
    page.get_by_label("Domains").fill("acme-eu.test")
    page.get_by_role("button", name="Create organization").click()
    expect(page).to_have_url(f"{portal}/o/acme-eu/")
    expect(page.get_by_role("status").filter(has_text="Acme Europe was created")).to_be_visible()
    check_page(page)

    # The operation's own page follows it until the worker has run it.
    operations = page.get_by_role("region", name="Recent operations")
    operations.get_by_role("link", name="Connect the organization to Auth0").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connect the organization to Auth0")
    expect(page.get_by_role("definition").filter(has_text="Pending")).to_be_visible()
    check_page(page)
    assert run_pending("organization_provision", organization_provision).status == "succeeded"
    expect(page.get_by_role("definition").filter(has_text="Succeeded")).to_be_visible(timeout=15000)
    check_page(page)

    page.get_by_role("link", name="Back to Acme Europe").click()
    expect(page.get_by_role("region", name="Auth0")).to_contain_text("Connected")
    check_page(page)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_settings_and_metadata_schema_of_an_organization(
    portal, page: Page, company_admin, demo_organizations
) -> None:
    globex = demo_organizations["globex"]
    MetadataField.objects.create(organization=globex, key="department", label="Department", position=0)

    sign_in(page, portal, company_admin)
    check_page(page)
    page.get_by_role("link", name="Globex").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Globex")
    # Globex's accent colour (the navbar, with text in a colour that contrasts with it).
    navbar = page.locator("nav.portal-navbar")
    expect(navbar).to_have_css("background-color", "rgb(111, 66, 193)")
    expect(page.get_by_text("Your role: Company admin")).to_be_visible()
    check_page(page)

    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    expect(page.get_by_label("Display name")).to_have_value("Globex")
    expect(page.get_by_label("Domains")).to_have_value("globex.test")
    check_page(page)
    page.get_by_label("Display name").fill("Globex Corporation")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Globex Corporation")
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    check_page(page)

    # The schema editor: one card per field; "Add a field" adds another (schema.js).
    page.get_by_role("link", name="Metadata schema").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Metadata schema")
    first = page.get_by_role("group", name="Field 1: department")
    expect(first.get_by_label("Key")).to_have_value("department")
    expect(page.get_by_role("group", name=re.compile(r"^Field \d"))).to_have_count(2)  # and one empty
    check_page(page)
    page.get_by_role("button", name="Add a field").click()
    third = page.get_by_role("group", name="Field 3")
    expect(third.get_by_label("Key")).to_be_focused()
    third.get_by_label("Key").fill("cost_centre")
    third.get_by_label("Label").fill("Cost centre")
    third.get_by_label("Type").select_option(label="Choice")
    third.get_by_label("Choices").fill("North, South")
    page.get_by_role("button", name="Save schema").click()
    expect(page.get_by_role("status").filter(has_text="The metadata schema was saved.")).to_be_visible()
    schema = page.get_by_role("region", name="Metadata schema")
    expect(schema.get_by_role("listitem")).to_have_text([
        re.compile(r"user_metadata\.department — Department \(Text\)"),
        re.compile(r"user_metadata\.cost_centre — Cost centre \(Choice\)"),
    ])
    check_page(page)

    # A broken field: the error is shown in that field's card, beside the setting it is about.
    page.get_by_role("link", name="Metadata schema").click()
    expect(page.get_by_role("group", name="Field 2: cost_centre")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Add a field").click()
    fourth = page.get_by_role("group", name="Field 4")
    fourth.get_by_label("Key").fill("region")
    fourth.get_by_label("Label").fill("Region")
    fourth.get_by_label("Type").select_option(label="Choice")
    fourth.get_by_label("Choices").fill("EMEA")
    page.get_by_role("button", name="Save schema").click()
    broken = page.get_by_role("group", name="Field 4: region")
    expect_field_error(broken.get_by_label("Choices"), "A choice field needs at least two choices.")
    expect(broken.get_by_label("Choices")).to_have_value("EMEA")
    expect(broken.get_by_label("Key")).to_have_value("region")
    expect(page.get_by_role("group", name="Field 2: cost_centre").locator(".errorlist")).to_have_count(0)
    check_page(page)
    assert list(globex.metadata_fields.values_list("key", flat=True)) == ["department", "cost_centre"]
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_directory_sync_and_management_api_budget_pages(portal, page: Page, company_admin) -> None:
    sign_in(page, portal, company_admin)
    check_page(page)
    page.goto(f"{portal}/directory/sync/")
    expect(page.get_by_role("heading", name="Directory sync")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="Management API budget").click()
    expect(page.get_by_role("heading", name="Management API budget")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="All other endpoints")).to_be_visible()  # the tests' limits
    expect(page.get_by_text("No operation is waiting for the budget.")).to_be_visible()
    check_page(page)
