from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.pages import HOME_HEADING, PHONE, check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_says_what_the_portal_does_today(live_server, page: Page) -> None:
    response = page.goto(live_server.url + "/")
    assert response is not None and response.status == 200

    expect(page).to_have_title(re.compile("Welcome"))
    expect(page.get_by_role("heading", level=1)).to_have_text(HOME_HEADING)
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()
    # What exists today, and nothing that does not exist yet.
    expect(page.get_by_role("heading", level=2)).to_have_text(
        ["Organizations", "Admins and viewers", "Sign-in by email domain", "Audit trail"])
    main = page.get_by_role("main")
    expect(main).to_contain_text("three ways")
    for promise in ("Invite", "invite", "search", "Search", "reset your password", "update your details"):
        expect(main).not_to_contain_text(promise)
    check_page(page)

    # The vendored Bootstrap and our stylesheet really load (served locally, allowed by the CSP):
    # the navbar carries the accent colour and the cards are laid out by Bootstrap.
    navbar_colour = page.locator("nav.portal-navbar").evaluate("e => getComputedStyle(e).backgroundColor")
    assert navbar_colour == "rgb(59, 91, 219)"
    card_radius = page.locator(".card").first.evaluate("e => getComputedStyle(e).borderRadius")
    assert card_radius not in ("", "0px")

    # Keyboard users get a skip link to the main content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()

    # No CSP violation or missing asset on the way.
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_home_page_navigation_collapses_on_a_phone(live_server, page: Page) -> None:
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    toggle = page.get_by_role("button", name="Toggle navigation")
    expect(toggle).to_be_visible()  # the navigation collapses behind a menu button
    expect(page.get_by_role("link", name="Sign in")).to_be_hidden()
    toggle.click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    check_page(page)  # the layout check covers sideways scrolling at phone width
    assert page.console_errors == []  # type: ignore[attr-defined]
