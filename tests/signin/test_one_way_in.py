"""The portal has one way in (OIDC through its own sign-in page): django-allauth's account pages
(linked accounts, emails, passwords, local signup) are not served."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.signin.test_oidc_flow import _query, start

pytestmark = pytest.mark.django_db

ALLAUTH_PAGES = [
    "/accounts/3rdparty/", "/accounts/3rdparty/login/cancelled/", "/accounts/3rdparty/signup/",
    "/accounts/email/", "/accounts/password/change/", "/accounts/password/set/", "/accounts/password/reset/",
    "/accounts/signup/", "/accounts/logout/", "/accounts/inactive/", "/accounts/reauthenticate/",
    "/accounts/confirm-email/", "/accounts/oidc/auth0/login/token/",
]


@pytest.mark.parametrize("path", ALLAUTH_PAGES)
def test_allauth_account_pages_do_not_exist(path: str) -> None:
    signed_in = Client()
    signed_in.force_login(UserFactory())
    for client in (Client(), signed_in):
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"account": "1", "email": "x@example.test"}).status_code == 404, path


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/oidc/auth0/login/"])
def test_allauth_login_urls_lead_to_the_portals_sign_in_page(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == "/login/"


def test_cancelling_at_the_provider_comes_back_to_the_sign_in_page_with_a_message(client: Client,
                                                                                  auth0_on_emulator) -> None:
    authorize = start(client, "enduser@portal.test")
    state = _query(str(authorize))["state"]
    response = client.get("/accounts/oidc/auth0/login/callback/",
                          {"error": "access_denied", "error_description": "User cancelled", "state": state},
                          follow=True)
    assert response.redirect_chain[-1] == ("/login/", 302)
    assert "Sign-in was cancelled" in response.content.decode()
    assert "_auth_user_id" not in client.session
