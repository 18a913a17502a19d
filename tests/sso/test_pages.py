"""The SSO pages of an organization: the guided set-up (metadata upload, errors beside the field with the input
kept), the values to give the provider, the certificate as a fingerprint and the secret never shown, the test
sign-in (through the emulator and the identity provider on loopback, without signing the admin out), turning on,
and turning off asked for first."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from sso import certificates
from sso.models import SsoConnection
from tests.sso.test_connections import latest, run
from tests.support.authn_browser import page_parse

pytestmark = pytest.mark.django_db
TEST_CALLBACK = "http://testserver/sso/test/callback/"


@pytest.fixture
def page(globex, admin):
    from portal.models import User

    person = User.objects.create_user(admin.user_id, "admin@globex.test")
    client = Client()
    client.force_login(person)
    return client


def _url(name: str, globex, **kwargs) -> str:
    return reverse(name, kwargs={"slug": globex.slug, **kwargs})


def test_guided_saml_set_up_from_a_metadata_file(page, globex, saml_idp) -> None:
    listing = page.get(_url("sso_connection_list", globex)).content.decode()
    assert "Set up SAML" in listing and "verified domains" in listing
    upload = SimpleUploadedFile("idp.xml", saml_idp.metadata_xml().encode(), content_type="text/xml")
    response = page.post(_url("sso_connection_create_saml", globex),
                         {"display_name": "Globex Okta", "metadata_file": upload})
    connection = SsoConnection.objects.get()
    assert response.status_code == 302
    detail = page.get(response["Location"]).content.decode()
    assert "http://127.0.0.1" in detail and f"/login/callback?connection={connection.name}" in detail
    assert f"urn:auth0:emulator:{connection.name}" in detail
    assert certificates.certificate_fingerprint(connection.signing_cert) in detail
    assert connection.signing_cert.splitlines()[1] not in detail  # the certificate itself is not shown


def test_errors_are_beside_the_field_with_the_input_kept(page, globex) -> None:
    response = page.post(_url("sso_connection_create_saml", globex),
                         {"display_name": "Okta", "sign_in_url": "https://idp.example/sso", "signing_cert": "nope"})
    assert response.status_code == 400
    assert "not an X.509 certificate" in response.context["form"].errors["signing_cert"][0]
    assert 'value="https://idp.example/sso"' in response.content.decode()
    bad_file = SimpleUploadedFile("idp.xml", b"<html></html>", content_type="text/xml")
    response = page.post(_url("sso_connection_create_saml", globex),
                         {"display_name": "Okta", "metadata_file": bad_file})
    assert "no identity provider" in response.context["form"].errors["metadata_file"][0]
    assert not SsoConnection.objects.exists()


def test_the_oidc_secret_is_never_shown_back(page, globex) -> None:
    response = page.post(_url("sso_connection_create_oidc", globex), {
        "display_name": "Entra", "issuer": "https://login.example.com/t", "client_id": "abc",
        "client_secret": "s3cr3t-value"})
    assert response.status_code == 302
    assert "s3cr3t" not in page.get(response["Location"]).content.decode()
    refused = page.post(_url("sso_connection_create_oidc", globex), {
        "display_name": "Entra", "issuer": "not a url", "client_id": "abc", "client_secret": "an0ther-s3cr3t"})
    assert refused.status_code == 400 and "an0ther" not in refused.content.decode()


def test_test_sign_in_then_on_then_off_asks_first(page, globex, saml_idp, emulator) -> None:
    httpx.post(f"{emulator.url}/emulator/clients/portal-web-dev", json={"callbacks": [TEST_CALLBACK]}
               ).raise_for_status()
    upload = SimpleUploadedFile("idp.xml", saml_idp.metadata_xml().encode(), content_type="text/xml")
    page.post(_url("sso_connection_create_saml", globex), {"display_name": "Okta", "metadata_file": upload})
    connection = SsoConnection.objects.get()
    run(latest(connection))
    saml_idp.trust(f"urn:auth0:emulator:{connection.name}",
                   f"{emulator.url}/login/callback?connection={connection.name}")
    started = page.post(_url("sso_test_start", globex, connection_id=connection.pk))
    assert started.status_code == 302 and started["Location"].startswith(f"{emulator.url}/authorize")
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        to_idp = browser.get(started["Location"])
        to_idp = browser.get(urljoin(emulator.url, to_idp.headers["location"]))
        sign_in = page_parse(browser.get(to_idp.headers["location"]))
        answer = page_parse(browser.post(urljoin(str(sign_in.response.url), sign_in.form.action),
                                         data={**sign_in.form.fields, "email": "ann@globex.example"}))
        back = browser.post(answer.form.action, data=answer.form.fields)
    assert back.headers["location"].startswith(TEST_CALLBACK), back.text[-600:]
    done = page.get(back.headers["location"].removeprefix("http://testserver"), follow=True)
    assert "The test worked: you signed in as ann@globex.example" in done.content.decode()
    connection.refresh_from_db()
    assert connection.is_tested and connection.tested_as == "ann@globex.example"
    assert page.get(reverse("landing")).status_code == 302  # still signed in as the admin
    page.post(_url("sso_connection_on", globex, connection_id=connection.pk))
    connection.refresh_from_db()
    assert connection.status == "on"
    off = _url("sso_connection_off", globex, connection_id=connection.pk)
    assert "Turn off Okta?" in page.get(off).content.decode()
    assert page.post(off, {}).status_code == 400
    assert page.post(off, {"confirm": "on"}).status_code == 302
    connection.refresh_from_db()
    assert connection.status == "off"
