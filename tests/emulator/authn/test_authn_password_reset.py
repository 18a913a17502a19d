"""Signup, change-password email, the outbox, and the hosted pages tickets point to.

Each test signs up its own user through /dbconnections/signup, so changing passwords never disturbs
the demo users other tests log in as.
"""

from __future__ import annotations

import secrets
import time

import httpx
import pytest
from auth0.authentication import Database
from auth0.authentication.exceptions import Auth0Error as AuthError

from tests.support.authn_browser import PORTAL_CLIENT_ID, Browser, Mailboxes, management_client, page_parse, query_of

CONNECTION = "Username-Password-Authentication"
RESET_SENT = "We've just sent you an email to reset your password."
NEW_PASSWORD = "Brand-new-Passw0rd"


@pytest.fixture(scope="module")
def management(emulator):
    return management_client(emulator)


@pytest.fixture
def database(emulator) -> Database:
    return Database(emulator.domain, PORTAL_CLIENT_ID, protocol="http")


@pytest.fixture
def mailboxes(management):
    boxes = Mailboxes(management)
    yield boxes
    boxes.cleanup()


@pytest.fixture
def new_user(database, mailboxes) -> dict:
    email = mailboxes.new("reset")
    created = database.signup(email=email, password="Initial-Passw0rd", connection=CONNECTION, name="Reset Tester")
    return {"email": email, "user_id": "auth0|" + created["_id"], "password": "Initial-Passw0rd"}


def outbox(emulator, email: str) -> list[dict]:
    response = httpx.get(f"{emulator.url}/emulator/outbox", params={"to": email})
    assert response.status_code == 200
    return response.json()


def can_log_in(emulator, email: str, password: str) -> bool:
    with Browser(emulator) as browser:
        response = browser.login(email, password, connection=CONNECTION)
        return response.status_code == 302 and "code=" in response.headers["location"]


def test_signup_creates_an_unverified_user_and_sends_a_verification_email(emulator, database, management, mailboxes):
    email = mailboxes.new("signup")
    created = database.signup(email=email, password="Signup-Passw0rd", connection=CONNECTION)
    assert created["email"] == email and created["email_verified"] is False
    user = management.users.get("auth0|" + created["_id"])
    assert user.email == email and user.identities[0].connection == CONNECTION
    mails = outbox(emulator, email)
    assert mails[0]["kind"] == "verify_email"
    assert "/u/email-verification?ticket=" in mails[0]["links"][0]
    assert can_log_in(emulator, email, "Signup-Passw0rd")


def test_signup_refusals(emulator, database, new_user, mailboxes):
    with pytest.raises(AuthError) as duplicate:
        database.signup(email=new_user["email"], password="Another-Passw0rd", connection=CONNECTION)
    assert duplicate.value.status_code == 400
    with pytest.raises(AuthError) as weak:
        database.signup(email=mailboxes.new("weak"), password="abc", connection=CONNECTION)
    assert weak.value.status_code == 400
    with pytest.raises(AuthError) as unknown:
        database.signup(email="x@authn-tests.example", password="Another-Passw0rd", connection="no-such-connection")
    assert unknown.value.status_code == 400


def test_change_password_answers_the_same_for_unknown_users(emulator, database, mailboxes):
    email = mailboxes.new("ghost")
    assert database.change_password(email=email, connection=CONNECTION) == RESET_SENT
    assert outbox(emulator, email) == []


def test_change_password_email_link_sets_a_new_password_once(emulator, database, new_user, management):
    assert database.change_password(email=new_user["email"], connection=CONNECTION) == RESET_SENT
    mail = outbox(emulator, new_user["email"])[0]
    assert mail["kind"] == "change_password"
    link = mail["links"][0]
    assert link.startswith(f"{emulator.url}/u/reset-password?ticket=")

    with Browser(emulator) as browser:
        page = page_parse(browser.get(link))
        assert page.response.status_code == 200
        assert page.ids["email"] == new_user["email"]
        assert page.response.headers["x-frame-options"] == "DENY"

        weak = browser.submit(page, password="abc", password_confirmation="abc")
        assert weak.status_code == 400
        assert page_parse(weak).ids["error-message"] == "PasswordStrengthError: Password is too weak"

        mismatch = browser.submit(page, password=NEW_PASSWORD, password_confirmation=NEW_PASSWORD + "x")
        assert mismatch.status_code == 400
        assert "the same" in page_parse(mismatch).ids["error-message"]

        forged = browser.submit(page, password=NEW_PASSWORD, password_confirmation=NEW_PASSWORD, csrf_token="x")
        assert forged.status_code == 403

        done = browser.submit(page, password=NEW_PASSWORD, password_confirmation=NEW_PASSWORD)
        assert done.status_code == 200
        assert page_parse(done).ids["message"] == "You have successfully changed your password."

        reused = browser.get(link)
        assert reused.status_code == 410
        assert page_parse(reused).ids["error-code"] == "used_ticket"
        again = browser.submit(page, password="Other-Passw0rd1", password_confirmation="Other-Passw0rd1")
        assert again.status_code == 410

    assert can_log_in(emulator, new_user["email"], NEW_PASSWORD)
    assert not can_log_in(emulator, new_user["email"], new_user["password"])
    types = [log.type for log in management.users.logs.list(new_user["user_id"], per_page=100)]
    assert "scp" in types and "fcp" in types


def test_management_ticket_redirects_to_result_url_and_verifies_email(emulator, new_user, management):
    ticket = management.tickets.change_password(
        user_id=new_user["user_id"],
        result_url="http://localhost:8000/done?from=reset",
        mark_email_as_verified=True,
        include_email_in_redirect=True,
    ).ticket
    with Browser(emulator) as browser:
        page = page_parse(browser.get(ticket))
        assert "form-action 'self' http://localhost:8000" in page.response.headers["content-security-policy"]
        done = browser.submit(page, password=NEW_PASSWORD, password_confirmation=NEW_PASSWORD)
    assert done.status_code == 302
    location = done.headers["location"]
    assert location.startswith("http://localhost:8000/done?from=reset&")
    query = query_of(location)
    assert query["success"] == "true"
    assert query["message"] == "You can now login to the application with the new password."
    assert query["email"] == new_user["email"]
    assert management.users.get(new_user["user_id"]).email_verified is True


def test_expired_ticket_is_refused(emulator, new_user, management):
    ticket = management.tickets.change_password(user_id=new_user["user_id"], ttl_sec=1).ticket
    time.sleep(1.2)
    with Browser(emulator) as browser:
        response = browser.get(ticket)
    assert response.status_code == 410
    assert page_parse(response).ids["error-code"] == "expired_ticket"


@pytest.mark.parametrize("ticket", ["", "not-a-ticket"])
def test_unknown_ticket_is_an_error_page(emulator, ticket):
    with Browser(emulator) as browser:
        response = browser.get("/u/reset-password", params={"ticket": ticket})
        assert response.status_code == 404
        assert page_parse(response).ids["error-code"] == "invalid_ticket"
        posted = browser.http.post("/u/reset-password", params={"ticket": ticket}, data={"password": "x"})
        assert posted.status_code == 404


def test_email_verification_link(emulator, database, management, mailboxes):
    email = mailboxes.new("verify")
    created = database.signup(email=email, password="Signup-Passw0rd", connection=CONNECTION)
    user_id = "auth0|" + created["_id"]
    link = outbox(emulator, email)[0]["links"][0]
    with Browser(emulator) as browser:
        # A verification link is not a password-change link.
        wrong_page = browser.get(link.replace("/u/email-verification", "/u/reset-password"))
        assert wrong_page.status_code == 404
        response = browser.get(link)
        assert response.status_code == 200
        assert page_parse(response).ids["message"].startswith("Your email was verified.")
        assert browser.get(link).status_code == 410
    assert management.users.get(user_id).email_verified is True
    types = [log.type for log in management.users.logs.list(user_id, per_page=100)]
    assert "sv" in types and "ss" in types


def test_verification_ticket_with_result_url(emulator, database, management, mailboxes):
    email = mailboxes.new("verify")
    created = database.signup(email=email, password="Signup-Passw0rd", connection=CONNECTION)
    ticket = management.tickets.verify_email(
        user_id="auth0|" + created["_id"], result_url="http://localhost:8000/verified"
    ).ticket
    with Browser(emulator) as browser:
        response = browser.get(ticket)
    assert response.status_code == 302
    query = query_of(response.headers["location"])
    assert response.headers["location"].startswith("http://localhost:8000/verified?")
    assert query["success"] == "true"


def test_forgot_password_from_the_login_page(emulator, new_user):
    with Browser(emulator) as browser:
        login_page = page_parse(browser.follow(browser.authorize()))
        reset_link = next(link for link in login_page.links if link.startswith("/u/reset-password/request"))
        request_page = page_parse(browser.get(reset_link))
        sent = browser.submit(request_page, email=new_user["email"])
        assert sent.status_code == 200
        assert page_parse(sent).ids["message"] == RESET_SENT
        unknown = browser.submit(request_page, email="nobody-at-all@authn-tests.example")
        assert page_parse(unknown).ids["message"] == RESET_SENT
    assert outbox(emulator, new_user["email"])[0]["kind"] == "change_password"


def test_outbox_page_lists_emails_with_links(emulator, database, new_user):
    database.change_password(email=new_user["email"], connection=CONNECTION)
    page = page_parse(httpx.get(f"{emulator.url}/emulator/outbox/page", params={"to": new_user["email"]}))
    assert page.response.status_code == 200
    assert "default-src 'none'" in page.response.headers["content-security-policy"]
    assert any("/u/reset-password?ticket=" in link for link in page.links)


def test_outbox_can_be_emptied_with_test_controls(emulator_factory):
    emulator = emulator_factory("--seed", "empty", "--test-controls")
    db = Database(emulator.domain, PORTAL_CLIENT_ID, protocol="http")
    email = f"wipe-{secrets.token_hex(4)}@authn-tests.example"  # another emulator: nothing to clean up
    db.signup(email=email, password="Signup-Passw0rd", connection=CONNECTION)
    assert len(outbox(emulator, email)) == 1
    assert httpx.delete(f"{emulator.url}/emulator/outbox").status_code == 204
    assert outbox(emulator, email) == []
