"""Enterprise connections (``samlp``, ``oidc``) through the official SDK on the session's emulator, every response
checked against Auth0's schema; and signing in through them for real: the emulator as SAML service provider
(pysaml2) of an identity provider on loopback, and as relying party of a second emulator playing the upstream
OpenID provider."""

from __future__ import annotations

import base64
import uuid
from urllib.parse import urljoin

import httpx
import pytest
from auth0.management.errors import BadRequestError

from tests.support.authn_browser import PORTAL_CALLBACK, Browser, page_parse, query_of
from tests.support.openapi import management_token
from tests.support.processes import EmulatorProcess


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def saml_options(idp) -> dict:
    return {"signInEndpoint": idp.sign_in_url, "signingCert": base64.b64encode(idp.certificate_pem.encode()).decode(),
            "signSAMLRequest": False, "protocolBinding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"}


def saml_connection(mgmt, emulator: EmulatorProcess, idp, **options) -> str:
    name = unique("saml")
    mgmt.connections.create(name=name, strategy="samlp", options={**saml_options(idp), **options},
                            enabled_clients=["portal-web-dev"])
    idp.trust(f"urn:auth0:emulator:{name}", f"{emulator.url}/login/callback?connection={name}")
    return name


def test_a_samlp_connection_is_created_read_changed_and_deleted(mgmt, emulator, saml_idp) -> None:
    name = unique("saml")
    created = mgmt.connections.create(name=name, strategy="samlp", options=saml_options(saml_idp),
                                      enabled_clients=["portal-web-dev"], display_name="Globex Okta")
    assert (created.name, created.strategy, created.display_name) == (name, "samlp", "Globex Okta")
    read = mgmt.connections.get(created.id)
    assert read.options["signInEndpoint"] == saml_idp.sign_in_url
    assert len(read.options["thumbprints"]) == 1 and len(read.options["thumbprints"][0]) == 40
    changed = mgmt.connections.update(created.id, options={**saml_options(saml_idp), "signInEndpoint":
                                                           f"{saml_idp.url}/other"})
    assert changed.options["signInEndpoint"] == f"{saml_idp.url}/other"
    headers = {"Authorization": f"Bearer {management_token(emulator.url)}"}
    assert httpx.delete(f"{emulator.url}/api/v2/connections/{created.id}", headers=headers).status_code == 202
    assert httpx.delete(f"{emulator.url}/api/v2/connections/{created.id}", headers=headers).status_code == 204


def test_enterprise_connections_without_what_sign_in_needs_are_refused(mgmt) -> None:
    with pytest.raises(BadRequestError) as saml:
        mgmt.connections.create(name=unique("saml"), strategy="samlp", options={"signInEndpoint": "https://x.test"})
    assert saml.value.status_code == 400 and "signingCert" in saml.value.body["message"]
    with pytest.raises(BadRequestError):
        mgmt.connections.create(name=unique("oidc"), strategy="oidc", options={"issuer": "https://x.test"})
    with pytest.raises(BadRequestError):
        mgmt.connections.create(name=unique("saml"), strategy="samlp",
                                options={"signInEndpoint": "https://x.test", "signingCert": "bm90IGEgY2VydA=="})


def _saml_sign_in(browser: Browser, connection: str, email: str, **params: str):
    """/authorize with the connection, the IdP's sign-in page, its response POSTed back: what leaves the emulator."""
    to_idp = browser.follow(browser.authorize(connection=connection, **params))
    assert to_idp.status_code == 302, to_idp.text[:500]
    idp_page = page_parse(httpx.get(to_idp.headers["location"]))
    form = idp_page.form
    answer = page_parse(httpx.post(urljoin(str(idp_page.response.url), form.action), data={**form.fields,
                                                                                          "email": email}))
    assert answer.response.status_code == 200, answer.response.text[:500]
    return browser.http.post(answer.form.action, data=answer.form.fields)


def test_signing_in_through_a_samlp_connection_creates_the_person_in_it(mgmt, emulator, saml_idp) -> None:
    name = saml_connection(mgmt, emulator, saml_idp)
    email = f"{uuid.uuid4().hex[:8]}@globex-sso.test"
    with Browser(emulator) as browser:
        back = _saml_sign_in(browser, name, email)
    assert back.status_code == 302 and back.headers["location"].startswith(PORTAL_CALLBACK), back.text[-900:]
    assert "code" in query_of(back.headers["location"])
    user = mgmt.users.get(f"samlp|{name}|{email}")
    assert (user.email, user.identities[0].connection, user.identities[0].provider) == (email, name, "samlp")
    # Deleting the connection deletes its users, as Auth0 does.
    connection_id = next(c.id for c in mgmt.connections.list(name=name).items if c.name == name)
    headers = {"Authorization": f"Bearer {management_token(emulator.url)}"}
    assert httpx.delete(f"{emulator.url}/api/v2/connections/{connection_id}", headers=headers).status_code == 202
    gone = httpx.get(f"{emulator.url}/api/v2/users/samlp|{name}|{email}", headers=headers)
    assert gone.status_code == 404


def test_a_response_signed_by_another_key_is_refused(mgmt, emulator, saml_idp, tmp_path) -> None:
    from tests.sso.saml_idp import LoopbackIdentityProvider

    (tmp_path / "impostor").mkdir()
    impostor = LoopbackIdentityProvider(tmp_path / "impostor")  # another key, under the real one's names
    impostor.entity_id, impostor.sign_in_url = saml_idp.entity_id, saml_idp.sign_in_url
    name = saml_connection(mgmt, emulator, saml_idp)
    impostor.trust(f"urn:auth0:emulator:{name}", f"{emulator.url}/login/callback?connection={name}")
    saml_idp.server = impostor.server  # the sign-in page of the real one, the signature of another
    with Browser(emulator) as browser:
        back = _saml_sign_in(browser, name, "mallory@globex-sso.test")
    assert back.status_code == 400 and "SAML response was refused" in back.text
    headers = {"Authorization": f"Bearer {management_token(emulator.url)}"}
    assert httpx.get(f"{emulator.url}/api/v2/users-by-email", params={"email": "mallory@globex-sso.test"},
                     headers=headers).json() == []


def test_an_organization_with_the_connection_gets_the_person_as_member(mgmt, emulator, saml_idp) -> None:
    name = saml_connection(mgmt, emulator, saml_idp)
    connection_id = next(c.id for c in mgmt.connections.list(name=name).items if c.name == name)
    org = mgmt.organizations.create(name=unique("sso-org"), enabled_connections=[
        {"connection_id": connection_id, "assign_membership_on_login": True}])
    email = f"{uuid.uuid4().hex[:8]}@globex-sso.test"
    with Browser(emulator) as browser:
        back = _saml_sign_in(browser, name, email, organization=org.id)
    assert back.status_code == 302 and "code" in query_of(back.headers["location"]), back.text[:500]
    members = [m.user_id for m in mgmt.organizations.members.list(org.id).items]
    assert members == [f"samlp|{name}|{email}"]


@pytest.fixture(scope="module")
def upstream(emulator_factory) -> EmulatorProcess:
    """A second emulator: the organization's own OpenID provider."""
    return emulator_factory("--seed", "demo", "--test-controls", "--no-rate-limits")


def test_signing_in_through_an_oidc_connection_uses_the_upstream_provider(mgmt, emulator, upstream) -> None:
    httpx.post(f"{upstream.url}/emulator/clients/portal-web-dev",
               json={"callbacks": [f"{emulator.url}/login/callback"]}).raise_for_status()
    name = unique("oidc")
    mgmt.connections.create(name=name, strategy="oidc", enabled_clients=["portal-web-dev"], options={
        "type": "back_channel", "issuer": upstream.url + "/", "discovery_url":
        f"{upstream.url}/.well-known/openid-configuration", "client_id": "portal-web-dev",
        "client_secret": "portal-web-dev-secret", "scope": "openid profile email"})
    with Browser(emulator) as browser:
        to_upstream = browser.follow(browser.authorize(connection=name))
        assert to_upstream.headers["location"].startswith(upstream.url), to_upstream.text[:300]
        with Browser(upstream) as person:
            login = page_parse(person.follow(person.http.get(to_upstream.headers["location"])))
            back_to_emulator = person.submit(login, username="user01@globex.test", password="Portal-demo-2026")
        assert back_to_emulator.headers["location"].startswith(f"{emulator.url}/login/callback")
        back = browser.http.get(back_to_emulator.headers["location"])
    assert back.status_code == 302 and back.headers["location"].startswith(PORTAL_CALLBACK), back.text[-900:]
    upstream_sub = httpx.get(f"{upstream.url}/api/v2/users-by-email", params={"email": "user01@globex.test"},
                             headers={"Authorization": f"Bearer {management_token(upstream.url)}"}).json()[0]
    user = mgmt.users.get(f"oidc|{name}|{upstream_sub['user_id']}")
    assert (user.email, user.identities[0].provider) == ("user01@globex.test", "oidc")
