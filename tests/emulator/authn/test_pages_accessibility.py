"""Every HTML page the emulator serves passes axe-core's WCAG 2.0/2.1 A and AA rules in Chromium.

The pages are reached the way a person reaches them (the portal's /authorize, links, forms, ticket
links), including their error states, on an emulator of this module's own. Besides axe, each page is
checked for what the WCAG tags leave to axe's best-practice rules: one ``<main>``, one ``<h1>``, no
duplicate ids, and a label for every visible field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from tests.support.authn_browser import PORTAL_CALLBACK, PORTAL_CLIENT_ID
from tests.support.openapi import management_token
from tests.support.processes import EmulatorProcess

pytestmark = pytest.mark.browser

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
DEMO_USER = "viewer@initech.test"
# Duplicate ids, and visible form fields no <label> names, as a list of offenders.
DUPLICATE_IDS = """() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  return ids.filter((id, i) => ids.indexOf(id) !== i); }"""
UNLABELLED_FIELDS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && e.labels.length === 0).map(e => e.name || e.outerHTML)"""


@pytest.fixture(scope="module")
def emu(emulator_factory) -> EmulatorProcess:
    return emulator_factory("--seed", "demo", "--test-controls", "--no-rate-limits")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


def authorize_url(emu: EmulatorProcess, **extra: str) -> str:
    params = {"client_id": PORTAL_CLIENT_ID, "redirect_uri": PORTAL_CALLBACK, "response_type": "code",
              "scope": "openid profile email", "state": "a11y", **extra}
    return f"{emu.url}/authorize?{urlencode(params)}"


def ticket(emu: EmulatorProcess, kind: str) -> str:
    """A fresh password-change or email-verification link for the demo user."""
    headers = {"Authorization": f"Bearer {management_token(emu.url)}"}
    user = httpx.get(f"{emu.url}/api/v2/users-by-email", params={"email": DEMO_USER}, headers=headers).json()[0]
    response = httpx.post(f"{emu.url}/api/v2/tickets/{kind}", json={"user_id": user["user_id"]}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["ticket"]


# Each visit opens one page state in the browser and returns the <h1> that page must show.
def index(page: Page, emu: EmulatorProcess) -> str:
    page.goto(f"{emu.url}/")
    return "Auth0 tenant emulator"


def login(page: Page, emu: EmulatorProcess) -> str:
    page.goto(authorize_url(emu))
    return "Welcome"


def login_failed(page: Page, emu: EmulatorProcess) -> str:
    login(page, emu)
    page.get_by_label("Email address").fill(DEMO_USER)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector("#error-message")
    return "Welcome"


def signup(page: Page, emu: EmulatorProcess) -> str:
    page.goto(authorize_url(emu, screen_hint="signup"))
    return "Create your account"


def signup_failed(page: Page, emu: EmulatorProcess) -> str:
    signup(page, emu)
    page.get_by_label("Email address").fill("a11y-signup@example.test")
    page.get_by_label("Password", exact=True).fill("Signup-Passw0rd-1")
    page.get_by_label("Re-enter password").fill("Signup-Passw0rd-2")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector("#error-message")
    return "Create your account"


def reset_request(page: Page, emu: EmulatorProcess) -> str:
    login(page, emu)
    page.get_by_role("link", name="Forgot password?").click()
    return "Forgot your password?"


def reset_request_sent(page: Page, emu: EmulatorProcess) -> str:
    reset_request(page, emu)
    page.get_by_label("Email address").fill(DEMO_USER)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector("#message")
    return "Check your email"


def reset_password(page: Page, emu: EmulatorProcess) -> str:
    page.goto(ticket(emu, "password-change"))
    return "Change your password"


def reset_password_failed(page: Page, emu: EmulatorProcess) -> str:
    reset_password(page, emu)
    page.get_by_label("New password", exact=True).fill("Another-passw0rd-1")
    page.get_by_label("Re-enter new password").fill("Another-passw0rd-2")
    page.get_by_role("button", name="Reset password").click()
    page.wait_for_selector("#error-message")
    return "Change your password"


def email_verified(page: Page, emu: EmulatorProcess) -> str:
    page.goto(ticket(emu, "email-verification"))
    return "Email Verified"


def logged_out(page: Page, emu: EmulatorProcess) -> str:
    page.goto(f"{emu.url}/v2/logout")
    return "Logged out"


def error_page(page: Page, emu: EmulatorProcess) -> str:
    page.goto(authorize_url(emu, client_id="no-such-client"))
    return "Oops!, something went wrong"


def outbox(page: Page, emu: EmulatorProcess) -> str:
    reset_request_sent(page, emu)  # so the outbox holds at least one email
    page.goto(f"{emu.url}/emulator/outbox/page")
    page.wait_for_selector("article.mail")
    return "Outbox"


def outbox_empty(page: Page, emu: EmulatorProcess) -> str:
    page.goto(f"{emu.url}/emulator/outbox/page?to=nobody%40example.test")
    page.wait_for_selector("#empty")
    return "Outbox"


VISITS: list[Callable[[Page, EmulatorProcess], str]] = [
    index, login, login_failed, signup, signup_failed, reset_request, reset_request_sent, reset_password,
    reset_password_failed, email_verified, logged_out, error_page, outbox, outbox_empty,
]


@pytest.mark.parametrize("visit", VISITS, ids=[v.__name__ for v in VISITS])
def test_page_passes_wcag_a_and_aa(page: Page, emu: EmulatorProcess, visit) -> None:
    heading = visit(page, emu)
    assert page.locator("h1").all_inner_texts() == [heading], page.url
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title().endswith("· Auth0 emulator")
    assert page.locator("main").count() == 1
    assert page.evaluate(DUPLICATE_IDS) == []
    assert page.evaluate(UNLABELLED_FIELDS) == []
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.response["passes"], "axe ran no rule on the page"
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
