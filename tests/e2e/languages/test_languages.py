"""Every page and email in the customer's language, in a browser. Acme's default language is German: its admin,
who chose none, reads the user list, an invitation form's error beside its field and a confirmation in German, and
the person invited gets their email in German. A person of Acme who chooses French on their profile reads it in
French from then on. Every page is checked with axe at 1280 and 390 px.

The texts expected are the catalogs' (each must differ from the English, so an untranslated page fails here)."""

from __future__ import annotations

import functools
import uuid

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from auth0_gateway import gateway
from tests.e2e.pages import check_page, expect_field_error, outcome_expect, run_pending, sign_in
from users.directory.mirror import directory_user_write_through
from users.tasks import user_invite

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Curie-1867-radium!"


def translated(language: str, text: str, **params: str) -> str:
    with translation.override(language):
        found = translation.gettext(text)
    assert found != text, f"{text!r} has no {language} translation"
    return found % params if params else found


def translated_in_context(language: str, context: str, text: str) -> str:
    with translation.override(language):
        found = translation.pgettext(context, text)
    assert found != text, f"{text!r} ({context}) has no {language} translation"
    return found


def sign_out(page: Page, tr) -> None:
    toggle = page.get_by_role("button", name=tr("Toggle navigation"))
    if toggle.is_visible():
        toggle.click()
    page.get_by_role("button", name=tr("Sign out")).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the browser's, signed out
    check_page(page)


def test_acme_reads_german_and_a_person_who_chose_french_reads_french(portal, page: Page, acme,
                                                                       created_users) -> None:
    de = functools.partial(translated, "de")
    fr = functools.partial(translated, "fr")
    acme.default_language = "de"
    acme.save(update_fields=["default_language"])
    invited = f"jonas-{uuid.uuid4().hex[:8]}@acme.test"
    marie = f"marie-{uuid.uuid4().hex[:8]}@acme.test"
    created_users.extend([invited, marie])
    person = gateway().user_create(connection="acme-users", email=marie, password=PASSWORD, name="Marie Curie",
                                   email_verified=True, verify_email=False)
    directory_user_write_through(person)

    # Acme's admin: the user list in German.
    sign_in(page, portal, "admin@acme.test")
    check_page(page)
    page.goto(f"{portal}/o/acme/users/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("link", name=de("Invite a user"))).to_be_visible()
    check_page(page)

    # The invitation form: its error beside the field, in German; then the invitation, followed in German.
    page.get_by_role("link", name=de("Invite a user")).click()
    check_page(page)
    page.get_by_label(de("Email address")).fill("not an email")
    page.get_by_role("button", name=de("Send invitation")).click()
    email_field = page.get_by_label(de("Email address"))
    expect_field_error(email_field, de("Enter a valid email address, like name@example.com."))
    check_page(page)
    page.get_by_label(de("Email address")).fill(invited)
    page.get_by_role("button", name=de("Send invitation")).click()
    expect(page.get_by_text(de("Inviting %(email)s:", email=invited))).to_be_visible()
    check_page(page)
    assert run_pending("user_invite", user_invite).status == "succeeded"
    outcome_expect(page, de("%(email)s is invited: an email with a link to choose their password is on its way.",
                            email=invited))
    check_page(page)

    # A confirmation before blocking Marie, in German.
    page.goto(f"{portal}/o/acme/users/{person['user_id']}/")
    check_page(page)
    block = translated_in_context("de", "button: block the user", "Block")
    page.get_by_role("navigation", name=de("Actions on this user")).get_by_role("link", name=block).click()
    expect(page.get_by_text(de("They will not be able to sign in until an admin unblocks them."))).to_be_visible()
    expect(page.get_by_role("button", name=block)).to_be_visible()
    check_page(page)
    sign_out(page, de)

    # The invited person's email, in German (the outbox itself is the browser's language).
    page.goto(f"{portal}/outbox/")
    check_page(page)
    subject = de("You are invited to %(organization)s", organization="Acme")
    page.get_by_role("row").filter(has_text=invited).get_by_role("link", name=subject).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    expect(page.get_by_text(de("If you did not expect this email, you can ignore it."))).to_be_visible()
    check_page(page)

    # Marie chooses French on her profile (German until then: Acme's), and reads it in French.
    sign_in(page, portal, marie, PASSWORD)
    expect(page).to_have_url(f"{portal}/profile/")
    expect(page.get_by_role("heading", level=1)).to_have_text(de("Your profile"))
    check_page(page)
    page.get_by_role("combobox", name=de("Language")).select_option("fr")
    page.get_by_role("button", name=de("Save the language")).click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(fr("Your profile"))
    expect(page.get_by_text(fr("Your language was saved."))).to_be_visible()
    check_page(page)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(fr("Your profile"))
    check_page(page)
    sign_out(page, fr)
