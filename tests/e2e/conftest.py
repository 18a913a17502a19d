"""Headless Chromium (Debian's, driven by Playwright) for browser tests, and the fixtures they share.

The tests are grouped by who drives the browser: ``sign_in/`` (the home page, the ways in, each persona's
landing), ``end_user/`` (a person's own profile), ``org_admin/`` (an organization's admin: directory, acts,
invitations, roles, history, bulk onboarding) and ``company_admin/`` (organizations, API clients' webhooks).
What every test does with a page is in ``pages.py``; ``test_page_checks.py`` shows those checks catch what
they are for.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from auth0_gateway import gateway
from organizations.management.demo import ORGANIZATIONS as DEMO_ORGANIZATIONS
from organizations.models import Organization, OrganizationRole
from tests.e2e.pages import DESKTOP, PageAudit
from tests.factories import RoleFactory


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.portal_call_failed = report.failed  # type: ignore[attr-defined]
    return report


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context at desktop size. Every document its main frame loads must go through
    ``check_page`` (axe-core and the phone layout); the test fails at teardown otherwise, or when a
    check found a problem."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    audit = PageAudit(name=request.node.name)
    page.portal_audit = audit  # type: ignore[attr-defined]

    def record(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            page.console_errors.append(f"{message.text} [{where}]")  # type: ignore[attr-defined]

    page.on("console", record)
    # A console line says only "404"; keep the URL of every failed response so a failure names it.
    page.on("response", lambda r: r.status >= 400 and page.console_errors.append(  # type: ignore[attr-defined]
        f"HTTP {r.status} [{r.url}]"))
    # Page-level DOMContentLoaded is the main frame's: one per document (not per fragment or history entry).
    page.on("domcontentloaded", lambda p: audit.loaded(p.url))
    yield page
    context.close()
    if getattr(request.node, "portal_call_failed", False):
        return  # the test's own failure says what went wrong; pages after it were never reached
    if failures := audit.failures():
        pytest.fail("\n\n".join(failures), pytrace=False)


@pytest.fixture
def portal(live_server, auth0_on_emulator, settings) -> str:
    """The live portal, registered with the emulator as an allowed callback and logout URL."""
    emulator = auth0_on_emulator
    httpx.post(f"{emulator.url}/emulator/clients/portal-web-dev", json={
        "callbacks": [f"{live_server.url}/accounts/oidc/auth0/login/callback/"],
        "allowed_logout_urls": [f"{live_server.url}/"],
    }).raise_for_status()
    policy = {**settings.CONTENT_SECURITY_POLICY}
    directives = {**policy["DIRECTIVES"]}
    directives["form-action"] = ["'self'", emulator.url]
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}
    return live_server.url


@pytest.fixture
def company_admin(portal) -> str:
    """admin@portal.test (a user of the emulator's demo tenant) is a company admin; returns the email."""
    from auth0_gateway import gateway
    from tests.factories import CompanyAdminFactory

    email = "admin@portal.test"
    CompanyAdminFactory(user_id=gateway().users_by_email(email=email)[0]["user_id"], email=email)
    return email


@pytest.fixture
def demo_organizations(db) -> dict[str, Organization]:
    """The demo's three organizations, one per membership mode, in their accent colours (as connected
    to the emulator's demo tenant by ``manage.py prepare --demo``)."""
    from tests.factories import DomainFactory, OrganizationFactory

    organizations = {}
    for spec in DEMO_ORGANIZATIONS:
        organization = OrganizationFactory(
            slug=spec["slug"], display_name=spec["display_name"], membership_mode=spec["membership_mode"],
            connection_name=spec["connection_name"], accent_colour=spec["accent_colour"],
            auth0_connection_id=f"con_{spec['slug']}demo",
            auth0_organization_id=f"org_{spec['slug']}demo" if spec["membership_mode"] == "auth0_organization" else "",
        )
        for domain in spec["domains"]:
            DomainFactory(organization=organization, domain=domain)
        organizations[spec["slug"]] = organization
    return organizations


@pytest.fixture
def created_users() -> Iterator[list[str]]:
    """Emails of users a test creates in the shared emulator's demo tenant, removed again afterwards (the
    contract tests count the demo's users)."""
    emails: list[str] = []
    yield emails
    for email in emails:
        for user in gateway().users_by_email(email=email):
            gateway().user_delete(user_id=user["user_id"])


@pytest.fixture
def acme(portal, demo_organizations, settings):
    """Acme (its own connection) with its demo admin; emails kept in the outbox, links to this portal."""
    settings.EMAIL_BACKEND = "portal.outbox.backend.OutboxBackend"
    settings.PORTAL_BASE_URL = portal
    acme = demo_organizations["acme"]
    admin = gateway().users_by_email(email="admin@acme.test")[0]
    RoleFactory(organization=acme, user_id=admin["user_id"], email="admin@acme.test", role=OrganizationRole.Role.ADMIN)
    return acme
