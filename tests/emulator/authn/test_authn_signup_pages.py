"""The hosted signup page (``screen_hint=signup``) and Organization invitations accepted at login."""

from __future__ import annotations

import httpx
import jwt
import pytest

from tests.support.authn_browser import (
    DEMO_PASSWORD,
    PORTAL_CALLBACK,
    PORTAL_CLIENT_ID,
    PORTAL_CLIENT_SECRET,
    Browser,
    Mailboxes,
    management_client,
    page_parse,
    query_of,
)

PASSWORD = "Signup-Page-Passw0rd"


@pytest.fixture(scope="module")
def management(emulator):
    return management_client(emulator)


@pytest.fixture
def mailboxes(management):
    boxes = Mailboxes(management)
    yield boxes
    boxes.cleanup()


@pytest.fixture(scope="module")
def globex_id(management) -> str:
    return management.organizations.get_by_name("globex").id


def id_token_of(emulator, location: str) -> dict:
    code = query_of(location)["code"]
    body = httpx.post(
        f"{emulator.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": PORTAL_CALLBACK,
            "client_id": PORTAL_CLIENT_ID,
            "client_secret": PORTAL_CLIENT_SECRET,
        },
    ).json()
    return jwt.decode(body["id_token"], options={"verify_signature": False})


def test_screen_hint_signup_creates_an_account_and_logs_in(emulator, management, mailboxes):
    email = mailboxes.new("page")
    with Browser(emulator) as browser:
        start = browser.authorize(screen_hint="signup")
        assert start.headers["location"].startswith("/u/signup?state=")
        page = page_parse(browser.follow(start))
        weak = browser.submit(page, email=email, password="abc", password_confirmation="abc")
        assert weak.status_code == 400
        assert page_parse(weak).ids["error-message"] == "PasswordStrengthError: Password is too weak"
        done = browser.submit(page, email=email, password=PASSWORD, password_confirmation=PASSWORD)
        assert done.status_code == 302, done.text[:1000]
        claims = id_token_of(emulator, done.headers["location"])
    assert claims["email"] == email
    assert claims["email_verified"] is False
    assert management.users.get(claims["sub"]).identities[0].connection == "Username-Password-Authentication"
    mail = httpx.get(f"{emulator.url}/emulator/outbox", params={"to": email}).json()
    assert mail[0]["kind"] == "verify_email"


def test_signup_page_refuses_an_existing_address(emulator):
    with Browser(emulator) as browser:
        page = page_parse(browser.follow(browser.authorize(screen_hint="signup")))
        response = browser.submit(page, email="enduser@portal.test", password=PASSWORD, password_confirmation=PASSWORD)
    assert response.status_code == 400
    assert page_parse(response).ids["error-message"] == "The user already exists."


def test_login_page_links_to_signup(emulator):
    with Browser(emulator) as browser:
        page = page_parse(browser.follow(browser.authorize()))
        assert any(link.startswith("/u/signup?state=") for link in page.links)


def test_invitation_for_a_new_person_signs_up_into_the_organization(emulator, management, globex_id, mailboxes):
    email = mailboxes.new("invitee")
    management.organizations.invitations.create(
        globex_id,
        inviter={"name": "Globex admin"},
        invitee={"email": email},
        client_id=PORTAL_CLIENT_ID,
        app_metadata={"plan": "gold"},
    )
    link = httpx.get(f"{emulator.url}/emulator/outbox", params={"to": email}).json()[0]["links"][0]
    ticket = query_of(link)["invitation"]
    with Browser(emulator) as browser:
        start = browser.authorize(invitation=ticket, organization=globex_id, state="inv")
        page = page_parse(browser.follow(start))
        assert page.response.url.path == "/u/signup"  # no account yet: the signup page
        assert page.form.fields["email"] == email
        # The invited address is fixed, whatever the form says.
        done = browser.submit(
            page, email="someone-else@authn-tests.example", password=PASSWORD, password_confirmation=PASSWORD
        )
        assert done.status_code == 302, done.text[:1000]
        assert query_of(done.headers["location"])["state"] == "inv"
        claims = id_token_of(emulator, done.headers["location"])
    assert claims["email"] == email
    assert claims["org_id"] == globex_id
    assert claims["email_verified"] is True
    members = [m.user_id for m in management.organizations.members.list(globex_id, take=100)]
    assert claims["sub"] in members
    assert management.users.get(claims["sub"]).app_metadata == {"plan": "gold"}
    # The invitation is used up.
    with Browser(emulator) as browser:
        again = browser.authorize(invitation=ticket, organization=globex_id)
        assert query_of(again.headers["location"])["error"] == "invalid_request"


def test_invitation_for_an_existing_user_adds_the_membership_at_login(emulator, management, globex_id):
    email = "enduser@portal.test"
    management.organizations.invitations.create(
        globex_id, inviter={"name": "Globex admin"}, invitee={"email": email}, client_id=PORTAL_CLIENT_ID
    )
    link = httpx.get(f"{emulator.url}/emulator/outbox", params={"to": email}).json()[0]["links"][0]
    ticket = query_of(link)["invitation"]
    try:
        with Browser(emulator) as browser:
            page = page_parse(browser.follow(browser.authorize(invitation=ticket, organization=globex_id)))
            assert page.response.url.path == "/u/login"
            assert page.form.fields["username"] == email
            done = browser.submit(page, password=DEMO_PASSWORD)
            assert done.status_code == 302
            claims = id_token_of(emulator, done.headers["location"])
        assert claims["org_name"] == "globex"
    finally:
        user_id = management.users.list_users_by_email(email=email)[0].user_id
        management.organizations.members.delete(globex_id, members=[user_id])


def test_invitation_needs_its_organization(emulator, globex_id):
    with Browser(emulator) as browser:
        without_org = browser.authorize(invitation="whatever")
        assert query_of(without_org.headers["location"])["error"] == "invalid_request"
        unknown = browser.authorize(invitation="whatever", organization=globex_id)
        assert query_of(unknown.headers["location"])["error"] == "invalid_request"
