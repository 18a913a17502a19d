"""Sign-in through the emulator: the portal (Django test client) and the emulator's hosted login page
(driven over HTTP like a browser) exchange real redirects, codes and tokens."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client

from auth0_gateway import gateway
from organizations import services
from organizations.models import MembershipMode
from organizations.selectors import principal_for_user_id
from organizations.tasks import organization_provision
from portal.models import Operation, User
from tests.factories import CompanyAdminFactory, DomainFactory, OrganizationFactory, RoleFactory
from tests.support.authn_browser import DEMO_PASSWORD, Browser, page_parse

pytestmark = pytest.mark.django_db(transaction=False)

CALLBACK = "http://testserver/accounts/oidc/auth0/login/callback/"


@pytest.fixture
def emulator(auth0_on_emulator):
    httpx.post(f"{auth0_on_emulator.url}/emulator/clients/portal-web-dev",
               json={"callbacks": [CALLBACK], "allowed_logout_urls": ["http://testserver/"]}).raise_for_status()
    return auth0_on_emulator


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def start(client: Client, email: str) -> httpx.URL:
    """Submit the portal's sign-in page; return where it sends the browser."""
    response = client.post("/login/", {"email": email})
    assert response.status_code == 302, response.content[:500]
    return httpx.URL(response["Location"])


def authenticate(emulator, authorize_url: httpx.URL, email: str, password: str = DEMO_PASSWORD) -> str:
    """At the emulator: open /authorize, fill in the hosted login form; return the callback URL."""
    with Browser(emulator) as browser:
        page = page_parse(browser.follow(browser.get(str(authorize_url))))
        response = browser.submit(page, username=email, password=password)
        response = browser.follow(response)
        assert response.status_code == 302, response.text[:1000]
        return response.headers["location"]


def finish(client: Client, callback_url: str):
    parts = urlsplit(callback_url)
    return client.get(parts.path, data=_query(callback_url))


def sign_in(client: Client, emulator, email: str):
    return finish(client, authenticate(emulator, start(client, email), email))


def _user_id(email: str) -> str:
    return gateway().users_by_email(email=email)[0]["user_id"]


def test_home_realm_discovery_sends_the_org_connection_with_pkce_and_nonce(client, emulator) -> None:
    organization = OrganizationFactory(slug="acme", connection_name="acme-users")
    DomainFactory(organization=organization, domain="acme.test")
    url = start(client, "Someone@ACME.test")
    assert str(url).startswith(f"{emulator.url}/authorize")
    query = dict(url.params)
    assert query["connection"] == "acme-users" and query["login_hint"] == "Someone@ACME.test"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) >= 43
    assert query["nonce"] and query["state"] and query["client_id"] == "portal-web-dev"
    assert query["redirect_uri"] == CALLBACK


def test_unknown_domain_goes_to_the_default_login_the_same_way(client, emulator) -> None:
    known = OrganizationFactory(slug="acme", connection_name="acme-users")
    DomainFactory(organization=known, domain="acme.test")
    response = client.post("/login/", {"email": "who@unknown.test"})
    assert response.status_code == 302
    query = dict(httpx.URL(response["Location"]).params)
    assert "connection" not in query and "organization" not in query
    assert query["login_hint"] == "who@unknown.test"


def test_auth0_organization_mode_sends_the_organization(client, emulator) -> None:
    organization = OrganizationFactory(slug="globex", membership_mode=MembershipMode.AUTH0_ORGANIZATION,
                                       connection_name="Username-Password-Authentication",
                                       auth0_organization_id="org_abc123")
    DomainFactory(organization=organization, domain="globex.test")
    query = dict(start(client, "a@globex.test").params)
    assert query["organization"] == "org_abc123" and "connection" not in query


def test_bookmark_signin_uses_the_organization(client, emulator) -> None:
    OrganizationFactory(slug="acme", connection_name="acme-users", display_name="Acme")
    page = client.get("/o/acme/login")
    assert page.status_code == 200 and "Sign in to Acme" in page.content.decode()
    response = client.post("/o/acme/login")
    assert dict(httpx.URL(response["Location"]).params)["connection"] == "acme-users"
    unknown = client.post("/o/nobody-here/login")
    assert unknown.status_code == 302 and "connection" not in dict(httpx.URL(unknown["Location"]).params)


def test_discovery_rejects_a_malformed_email(client, emulator) -> None:
    response = client.post("/login/", {"email": "not-an-email"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()


def test_discovery_is_rate_limited_per_address(client, emulator, settings) -> None:
    settings.SIGNIN_DISCOVERY_RATE = "3/m"
    codes = [client.post("/login/", {"email": f"p{i}@x.test"}, REMOTE_ADDR="10.9.9.9").status_code
             for i in range(4)]
    assert codes == [302, 302, 302, 429]
    # Another address is not affected.
    assert client.post("/login/", {"email": "p@x.test"}, REMOTE_ADDR="10.9.9.8").status_code == 302


def test_company_admin_signs_in_and_lands_on_organizations(client, emulator) -> None:
    CompanyAdminFactory(user_id=_user_id("admin@portal.test"))
    client.get("/login/")
    before = client.session.session_key
    response = sign_in(client, emulator, "admin@portal.test")
    assert response.status_code == 302 and response["Location"] == "/welcome/"
    assert client.session.session_key != before  # a new session at sign-in (no fixation)
    user = User.objects.get(auth0_user_id=_user_id("admin@portal.test"))
    assert user.email == "admin@portal.test" and not user.has_usable_password()
    assert client.get("/welcome/")["Location"] == "/orgs/"


def test_org_admin_lands_on_their_organization(client, emulator) -> None:
    organization = OrganizationFactory(slug="acme", connection_name="acme-users")
    DomainFactory(organization=organization, domain="acme.test")
    RoleFactory(organization=organization, user_id=_user_id("admin@acme.test"), role="admin")
    response = sign_in(client, emulator, "admin@acme.test")
    assert response["Location"] == "/welcome/"
    assert client.get("/welcome/")["Location"] == "/o/acme/"
    assert client.get("/o/acme/").status_code == 200


def test_a_person_with_no_role_lands_on_their_profile(client, emulator) -> None:
    sign_in(client, emulator, "enduser@portal.test")
    assert client.get("/welcome/")["Location"] == "/profile/"
    page = client.get("/profile/").content.decode()
    assert "enduser@portal.test" in page
    assert client.get("/orgs/").status_code == 404


def test_tampered_state_is_refused_with_a_clear_page(client, emulator) -> None:
    callback = authenticate(emulator, start(client, "enduser@portal.test"), "enduser@portal.test")
    query = _query(callback)
    query["state"] = "forged-state"
    response = client.get("/accounts/oidc/auth0/login/callback/", data=query)
    assert response.status_code in (400, 401)
    assert "Sign-in failed" in response.content.decode()
    assert "_auth_user_id" not in client.session


def tamper_state(client: Client, change) -> None:
    """Change the server-side sign-in state (allauth keeps it in the session) as an attacker might."""
    session = client.session
    states = session["socialaccount_states"]
    for stashed in states.values():
        change(stashed[0])
    session["socialaccount_states"] = states
    session.save()


@pytest.mark.parametrize("change", ["wrong", "missing"])
def test_wrong_or_missing_pkce_verifier_is_refused(client, emulator, change) -> None:
    callback = authenticate(emulator, start(client, "enduser@portal.test"), "enduser@portal.test")
    if change == "wrong":
        tamper_state(client, lambda state: state.update(pkce_code_verifier="x" * 64))
    else:
        tamper_state(client, lambda state: state.pop("pkce_code_verifier", None))
    response = finish(client, callback)
    assert response.status_code == 401
    assert "Sign-in failed" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_nonce_must_match(client, emulator) -> None:
    callback = authenticate(emulator, start(client, "enduser@portal.test"), "enduser@portal.test")
    tamper_state(client, lambda state: state.update(nonce="another-nonce"))
    response = finish(client, callback)
    assert response.status_code == 400
    assert "does not belong to this browser" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only_and_ends_the_auth0_session_too(client, emulator) -> None:
    sign_in(client, emulator, "enduser@portal.test")
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    target = httpx.URL(response["Location"])
    assert str(target).startswith(f"{emulator.url}/oidc/logout")
    assert dict(target.params) == {"client_id": "portal-web-dev", "post_logout_redirect_uri": "http://testserver/"}
    assert "_auth_user_id" not in client.session


def test_company_admin_creates_an_organization_and_sees_it_connect(client, emulator,
                                                                   django_capture_on_commit_callbacks) -> None:
    CompanyAdminFactory(user_id=_user_id("admin@portal.test"))
    sign_in(client, emulator, "admin@portal.test")
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/orgs/new/", {
            "display_name": "Hooli", "slug": "hooli", "membership_mode": "isolated_connection",
            "connection_name": "", "domains": "hooli.test", "invite_link_lifetime_days": "7",
            "accent_colour": "#123456",
        })
    assert response.status_code == 302 and response["Location"] == "/o/hooli/"
    operation = Operation.objects.get(organization__slug="hooli")
    page = client.get("/o/hooli/").content.decode()
    assert "Pending" in page
    organization_provision.apply(args=[str(operation.id)])
    page = client.get("/o/hooli/").content.decode()
    assert "Connected" in page and "hooli-users" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"slug": "Bad Slug"}, "slug", "Use 3 to 40 lower-case letters"),
        ({"domains": "not a domain"}, "domains", "Not a valid email domain: not a domain"),
        ({"domains": "acme.test"}, "domains", "Already claimed by another organization: acme.test (Acme)"),
        ({"connection_name": "bad--name"}, "connection_name", "Auth0 accepts letters, digits and single hyphens"),
        ({"connection_name": "-x"}, "connection_name", "Auth0 accepts letters"),
        ({"accent_colour": "red"}, "accent_colour", "Enter a colour as #RRGGBB"),
        ({"invite_link_lifetime_days": "90"}, "invite_link_lifetime_days", "less than or equal to 30"),
    ],
)
def test_bad_input_gets_a_specific_error_and_changes_nothing(client, data, field, message) -> None:
    admin = CompanyAdminFactory()
    acme = OrganizationFactory(slug="acme", display_name="Acme")
    DomainFactory(organization=acme, domain="acme.test")
    user = User.objects.create_user(auth0_user_id=admin.user_id)
    client.force_login(user)
    before = Operation.objects.count()
    form = {"display_name": "New", "slug": "new-org", "membership_mode": "isolated_connection",
            "connection_name": "", "domains": "new.test", "invite_link_lifetime_days": "7",
            "accent_colour": "#123456", **data}
    response = client.post("/orgs/new/", form)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert not services.Organization.objects.filter(display_name="New").exists()
    assert Operation.objects.count() == before


def test_principal_roles_come_from_the_database_not_the_token(client, emulator) -> None:
    sign_in(client, emulator, "admin@acme.test")  # a role claim could not make anyone admin here
    assert principal_for_user_id(_user_id("admin@acme.test")).org_roles == {}


@pytest.fixture
def id_token_fault(emulator):
    def set_fault(fault):
        httpx.post(f"{emulator.url}/emulator/authn/settings", json={"id_token_fault": fault}).raise_for_status()

    yield set_fault
    set_fault(None)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("issuer", "issued by another issuer"),
        ("audience", "issued for another application"),
        ("expired", "has expired"),
        ("algorithm", "only RS256 is accepted"),
        ("unsigned", "only RS256 is accepted"),
        ("signature", "The ID token is invalid"),
    ],
)
def test_an_id_token_that_must_not_be_trusted_is_refused(client, emulator, id_token_fault, fault, message) -> None:
    id_token_fault(fault)
    response = sign_in(client, emulator, "enduser@portal.test")
    assert response.status_code == 401
    page = response.content.decode()
    assert "Sign-in failed" in page and message in page
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="enduser@portal.test").exists()


def _globex(emulator):
    auth0_org = gateway().organization_get_by_name(name="globex")
    organization = OrganizationFactory(slug="globex", membership_mode=MembershipMode.AUTH0_ORGANIZATION,
                                       connection_name="Username-Password-Authentication",
                                       auth0_organization_id=auth0_org["id"])
    DomainFactory(organization=organization, domain="globex.test")
    RoleFactory(organization=organization, user_id=_user_id("admin@globex.test"), role="admin")
    return organization


def test_auth0_organization_member_signs_in_to_the_organization(client, emulator) -> None:
    _globex(emulator)
    response = sign_in(client, emulator, "admin@globex.test")
    assert response["Location"] == "/welcome/"
    assert client.get("/welcome/")["Location"] == "/o/globex/"


def test_a_sign_in_that_comes_back_from_another_organization_is_refused(client, emulator) -> None:
    _globex(emulator)
    callback = authenticate(emulator, start(client, "admin@globex.test"), "admin@globex.test")
    tamper_state(client, lambda state: state.update(organization="org_someotherorganization"))
    response = finish(client, callback)
    assert response.status_code == 400
    assert "did not happen in the organization it was started for" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_organization_invitation_link_signs_the_invitee_in_to_the_organization(client, emulator) -> None:
    globex = _globex(emulator)
    invitee = "user05@initech.test"  # an existing user, not yet a member of Globex
    user_id = _user_id(invitee)
    invitation = gateway().organization_invitation_create(
        organization_id=globex.auth0_organization_id, inviter_name="Globex admin", invitee_email=invitee,
        client_id="portal-web-dev",
    )
    link = httpx.URL(invitation["invitation_url"])
    assert link.path == "/login/"  # the portal's login route, as the tenant's application says
    try:
        response = client.get("/login/", dict(link.params))
        assert response.status_code == 302
        authorize = httpx.URL(response["Location"])
        assert authorize.params["invitation"] == link.params["invitation"]
        assert authorize.params["organization"] == globex.auth0_organization_id
        finish(client, authenticate(emulator, authorize, invitee))
        assert client.session["_auth_user_id"]
        assert globex.auth0_organization_id in {o["id"] for o in gateway().user_organizations(user_id=user_id)}
    finally:
        gateway().organization_members_remove(organization_id=globex.auth0_organization_id, user_ids=[user_id])


def test_a_damaged_invitation_link_is_refused_without_leaving_the_portal(client, emulator) -> None:
    response = client.get("/login/", {"invitation": "abc", "organization": "not-an-org-id"})
    assert response.status_code == 400
    assert "invitation link is incomplete or damaged" in response.content.decode()


@pytest.mark.parametrize(("path", "done", "notice"), [
    ("/o/acme/login", "email-confirmed", "Your email address is confirmed. Sign in to continue."),
    ("/o/acme/login", "password-set", "Your password is set. Sign in with it to continue."),
    ("/login/", "email-confirmed", "Your email address is confirmed. Sign in to continue."),
])
def test_a_used_ticket_leads_back_to_a_sign_in_page_that_says_what_it_did(client, path, done, notice) -> None:
    OrganizationFactory(slug="acme", display_name="Acme")
    shown = client.get(path, {"done": done, "success": "true", "message": "Anything at all <b>from a URL</b>"})
    assert notice in shown.text
    assert "from a URL" not in shown.text  # Auth0's message parameter is never shown
    # Without Auth0's success, or with an outcome the portal does not know, the page says nothing of it.
    assert notice not in client.get(path, {"done": done}).text
    unknown = client.get(path, {"done": "pwned", "success": "true"})
    assert unknown.status_code == 200 and 'role="status"' not in unknown.text
