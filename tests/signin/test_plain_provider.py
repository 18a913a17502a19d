"""Sign-in against an OpenID provider that is not shaped like Auth0: the emulator's plain-provider
switches put the profile claims only in userinfo, move the end-session endpoint, and require
client_secret_basic at the token endpoint. The portal follows the discovery document for each."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from django.test import Client

from portal.models import User
from signin.oidc import StrictOIDCAdapter
from tests.signin.test_oidc_flow import authenticate, finish, sign_in, start

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/accounts/oidc/auth0/login/callback/"


@pytest.fixture
def provider(auth0_on_emulator) -> Iterator:
    """The emulator, registered for the test client, with its OIDC switches put back afterwards."""
    emulator = auth0_on_emulator
    httpx.post(f"{emulator.url}/emulator/clients/portal-web-dev",
               json={"callbacks": [CALLBACK], "allowed_logout_urls": ["http://testserver/"]}).raise_for_status()
    yield emulator
    httpx.post(f"{emulator.url}/emulator/authn/settings", json={"profile": None}).raise_for_status()


def switch(emulator, **values) -> dict:
    response = httpx.post(f"{emulator.url}/emulator/authn/settings", json=values)
    response.raise_for_status()
    return response.json()


def _app_settings(settings, **changes) -> None:
    """Change the portal's OIDC application settings for one test (as OIDC_TOKEN_AUTH_METHOD would)."""
    providers = {**settings.SOCIALACCOUNT_PROVIDERS}
    app = {**providers["openid_connect"]["APPS"][0]}
    app["settings"] = {**app["settings"], **changes}
    providers["openid_connect"] = {**providers["openid_connect"], "APPS": [app]}
    settings.SOCIALACCOUNT_PROVIDERS = providers


def test_profile_claims_only_in_userinfo_still_give_the_person_a_name_and_email(client: Client, provider) -> None:
    switch(provider, claims_in="userinfo")
    response = sign_in(client, provider, "user01@acme.test")
    assert response.status_code == 302, response.content[:500]
    user = User.objects.get(pk=client.session["_auth_user_id"])
    assert user.email == "user01@acme.test"
    assert user.get_full_name(), "the name came from userinfo"
    # The sign-in message names the person, never by their raw id.
    landing = client.get(response["Location"], follow=True)
    [message] = [str(m) for m in landing.context["messages"]]
    assert message == f"Signed in as {user.get_full_name()}."


def test_an_id_token_with_the_profile_claims_needs_no_userinfo_call(client: Client, provider, monkeypatch) -> None:
    """With Auth0's usual ID token, sign-in does not ask userinfo (one request fewer per sign-in)."""
    calls: list[str] = []
    real = StrictOIDCAdapter._fetch_user_info

    def counted(self, access_token: str) -> dict:
        calls.append("userinfo")
        return real(self, access_token)

    monkeypatch.setattr(StrictOIDCAdapter, "_fetch_user_info", counted)
    assert sign_in(client, provider, "user02@acme.test").status_code == 302
    assert calls == []
    switch(provider, claims_in="userinfo")
    assert sign_in(Client(), provider, "user03@acme.test").status_code == 302
    assert calls == ["userinfo"]


def test_logout_goes_to_the_end_session_endpoint_discovery_names(client: Client, provider) -> None:
    switch(provider, end_session_path="/connect/endsession")
    sign_in(client, provider, "enduser@portal.test")
    response = client.post("/logout/")
    assert response.status_code == 302
    target = httpx.URL(response["Location"])
    assert str(target).startswith(f"{provider.url}/connect/endsession?")
    assert dict(target.params) == {"client_id": "portal-web-dev", "post_logout_redirect_uri": "http://testserver/"}
    assert "_auth_user_id" not in client.session
    # The provider accepts it and sends the browser back to the portal, which says the person signed out.
    back = httpx.get(str(target), follow_redirects=False)
    assert back.status_code == 302 and back.headers["location"] == "http://testserver/"
    assert "You have signed out." in client.get("/").content.decode()


def test_a_provider_without_an_end_session_endpoint_signs_out_of_the_portal_and_says_so(
    client: Client, provider, settings
) -> None:
    _app_settings(settings, openid_configuration_overrides={"end_session_endpoint": None})
    sign_in(client, provider, "enduser@portal.test")
    response = client.post("/logout/", follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert "_auth_user_id" not in client.session
    assert "own session may still be open" in response.content.decode()


def test_a_provider_that_requires_client_secret_basic_is_followed_from_discovery(client: Client, provider) -> None:
    switch(provider, token_auth_method="client_secret_basic")
    response = sign_in(client, provider, "enduser@portal.test")
    assert response.status_code == 302 and response["Location"] == "/welcome/"
    assert "_auth_user_id" in client.session


def test_the_token_auth_method_setting_overrides_discovery(client: Client, provider, settings) -> None:
    """OIDC_TOKEN_AUTH_METHOD pins the method: pinned to the one the provider refuses, sign-in fails
    with the portal's error page and nobody is signed in."""
    switch(provider, token_auth_method="client_secret_basic")
    _app_settings(settings, token_auth_method="client_secret_post")
    callback = authenticate(provider, start(client, "enduser@portal.test"), "enduser@portal.test")
    response = finish(client, callback)
    assert response.status_code >= 400
    assert "Sign-in failed" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_whole_plain_profile_signs_in_and_out(client: Client, provider) -> None:
    settings_now = switch(provider, profile="plain")
    assert settings_now["profile"] == "plain"
    assert sign_in(client, provider, "admin@initech.test").status_code == 302
    user = User.objects.get(email="admin@initech.test")
    assert user.get_full_name()
    target = httpx.URL(client.post("/logout/")["Location"])
    assert target.path == "/connect/endsession"
