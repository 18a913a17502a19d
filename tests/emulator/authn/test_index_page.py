"""The emulator's root URL: a page that says what this server is and where to go from here."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx

from auth0_emulator import seed
from tests.support.authn_browser import page_parse

CLIENTS = {
    seed.PORTAL_WEB_CLIENT_ID: seed.PORTAL_WEB_CLIENT_SECRET,
    seed.PORTAL_M2M_CLIENT_ID: seed.PORTAL_M2M_CLIENT_SECRET,
    seed.TOOL_CLIENT_ID: seed.TOOL_CLIENT_SECRET,
}


def test_root_url_explains_the_emulator(emulator) -> None:
    response = httpx.get(f"{emulator.url}/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    text = " ".join(response.text.split())
    assert "emulates an Auth0 tenant" in text and "<strong>not Auth0</strong>" in text
    assert "Sign-in starts at the application (the portal), not here." in text
    for client_id, secret in CLIENTS.items():
        assert f"<code>{client_id}</code>" in text
        assert secret not in text
    assert f"<code>{emulator.url}/</code>" in text  # the issuer


def test_root_url_links_lead_somewhere(emulator) -> None:
    links = page_parse(httpx.get(f"{emulator.url}/")).links
    assert {"/emulator/outbox/page", "/.well-known/openid-configuration", "/.well-known/jwks.json"} <= set(links)
    for link in links:
        if link.startswith("/"):
            assert httpx.get(urljoin(emulator.url, link)).status_code == 200, link
    # Sign-in is sent to the portal's own login route (its application's initiate_login_uri).
    assert f"{seed.PORTAL_ORIGINS[0]}/login/" in links
