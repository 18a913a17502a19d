"""Globex's admin brings their own identity provider, in a browser: adds and verifies a domain (against a DNS
server on loopback), sets up a SAML connection from their provider's metadata (a pysaml2 identity provider on
loopback), gives the provider the values the page shows, tests it with their own sign-in, turns it on; then a person
with that domain signs in through home-realm discovery and their provider, and lands in Globex. Every page of the
portal and of the provider is checked with axe at 1280 and 390 px."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from auth0_gateway import gateway
from domains import tasks as domain_tasks
from domains.models import Domain
from organizations.models import MembershipMode, OrganizationRole
from sso import tasks as sso_tasks
from sso.models import SsoConnection
from tests.domains.dns_server import loopback_dns
from tests.e2e.pages import check_page, run_pending, sign_in, sign_out
from tests.factories import OrganizationFactory, RoleFactory
from tests.sso.saml_idp import LoopbackIdentityProvider
from users.tasks import directory_user_refresh

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PERSON = "ann.lee@globex-sso.example"


@pytest.fixture
def globex(portal, settings):
    """Globex as the demo tenant has it (an Auth0 Organization), with its demo admin."""
    auth0_org = gateway().organization_get_by_name(name="globex")
    shared = gateway().connection_get_by_name(name="Username-Password-Authentication")
    globex = OrganizationFactory(slug="globex", display_name="Globex", accent_colour="#7048e8",
                                 membership_mode=MembershipMode.AUTH0_ORGANIZATION,
                                 connection_name="Username-Password-Authentication",
                                 auth0_connection_id=shared["id"], auth0_organization_id=auth0_org["id"])
    admin = gateway().users_by_email(email="admin@globex.test")[0]
    RoleFactory(organization=globex, user_id=admin["user_id"], email="admin@globex.test",
                role=OrganizationRole.Role.ADMIN)
    return globex


@pytest.fixture
def dns(settings):
    with loopback_dns() as server:
        settings.DOMAINS_DNS_NAMESERVERS, settings.DOMAINS_DNS_PORT = ["127.0.0.1"], server.port
        yield server


@pytest.fixture
def idp(tmp_path, portal, settings, auth0_on_emulator):
    """The organization's identity provider on loopback; the portal's sign-in forms may lead to it, and the
    emulator lets the test sign-in come back to this portal."""
    provider = LoopbackIdentityProvider(tmp_path).start()
    policy = {**settings.CONTENT_SECURITY_POLICY}
    directives = {**policy["DIRECTIVES"]}
    directives["form-action"] = [*directives["form-action"], provider.url]
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}
    httpx.post(f"{auth0_on_emulator.url}/emulator/clients/portal-web-dev",
               json={"callbacks": [f"{portal}/sso/test/callback/"]}).raise_for_status()
    yield provider
    provider.stop()
    for connection in SsoConnection.objects.exclude(auth0_connection_id=""):
        gateway().connection_delete(connection_id=connection.auth0_connection_id)


def _sign_in_at_the_provider(page: Page, email: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Test identity provider")
    check_page(page)
    page.get_by_label("Work email").fill(email)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {email}")
    check_page(page)
    page.get_by_role("button", name="Continue").click()


def test_globex_brings_its_own_identity_provider(portal, page: Page, globex, dns, idp, created_users) -> None:
    created_users.append(PERSON)
    sign_in(page, portal, "admin@globex.test")
    check_page(page)
    page.goto(f"{portal}/o/globex/")
    check_page(page)

    # 1. The domain: added, its record published, checked.
    page.get_by_role("link", name="Domains of Globex").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your email domains")
    check_page(page)
    page.get_by_label("Domain").fill("globex-sso.example")
    page.get_by_role("button", name="Add domain").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("globex-sso.example")
    check_page(page)
    dns.publish(page.locator("#record-name").inner_text(), page.locator("#record-value").inner_text())
    page.get_by_role("button", name="Check the record now").click()
    check_page(page)
    domain_tasks.domain_verify.apply(args=[Domain.objects.get().pk])  # the worker
    page.reload()
    expect(page.locator("#domain-status")).to_contain_text("Verified")
    check_page(page)

    # 2. The SAML connection from the provider's metadata; the values the page shows go to the provider.
    page.goto(f"{portal}/o/globex/")
    check_page(page)
    page.get_by_role("link", name="Single sign-on for Globex").click()
    check_page(page)
    page.get_by_role("link", name="Set up SAML").click()
    check_page(page)
    page.get_by_label("Name shown to your people").fill("Globex Okta")
    page.get_by_label("Your provider's metadata file (XML)").set_input_files(files=[{
        "name": "metadata.xml", "mimeType": "text/xml", "buffer": idp.metadata_xml().encode()}])
    page.get_by_role("button", name="Create the connection").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Globex Okta")
    check_page(page)
    values = page.get_by_role("region", name="Step 1: give your identity provider these values")
    acs = values.locator("dd").nth(0).locator("code").inner_text()
    audience = values.locator("dd").nth(1).locator("code").inner_text()
    idp.trust(audience, acs)
    assert run_pending("sso_connection_create", sso_tasks.sso_connection_create).status == "succeeded"
    page.reload()
    expect(page.locator("#connection-status")).to_contain_text("Ready to test")
    check_page(page)

    # 3. The admin tests it with their own sign-in at the provider, and stays who they are.
    page.get_by_role("button", name="Test the sign-in").click()
    _sign_in_at_the_provider(page, "admin@globex-sso.example")
    expect(page.get_by_text("The test worked: you signed in as admin@globex-sso.example")).to_be_visible()
    check_page(page)

    # 4. On.
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator("#connection-status")).to_contain_text("On")
    check_page(page)
    assert run_pending("sso_connection_switch", sso_tasks.sso_connection_switch).status == "succeeded"
    sign_out(page)

    # 5. A person with the domain signs in through discovery and their provider, and lands in Globex.
    page.goto(f"{portal}/login/")
    check_page(page)
    page.get_by_label("Work email").fill(PERSON)
    page.get_by_role("button", name="Continue").click()
    _sign_in_at_the_provider(page, PERSON)
    expect(page).to_have_url(re.compile("^" + re.escape(portal) + "/"))
    check_page(page)
    person = gateway().users_by_email(email=PERSON)[0]
    directory_user_refresh.apply(args=[person["user_id"]])  # the worker reads the new account into the directory
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    expect(page.get_by_role("main").locator("p").first).to_contain_text("Globex")  # their profile, in Globex
    check_page(page)
    assert person["user_id"] == f"samlp|{SsoConnection.objects.get().name}|{PERSON}"
    assert [o["id"] for o in gateway().user_organizations(user_id=person["user_id"])] == [
        globex.auth0_organization_id]
