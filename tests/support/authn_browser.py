"""A minimal browser for the emulator's hosted pages: cookies, manual redirects, HTML form parsing.

Tests drive /authorize and the login page the way a browser would (httpx keeps the cookies; forms are
read from the HTML with the standard library's parser), and stop at the application's redirect_uri,
whose query string carries the code or the error.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from tests.support.processes import EmulatorProcess

PORTAL_CLIENT_ID = "portal-web-dev"
PORTAL_CLIENT_SECRET = "portal-web-dev-secret"
PORTAL_CALLBACK = "http://localhost:8000/accounts/oidc/auth0/login/callback/"
DEMO_PASSWORD = "Portal-demo-2026"


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.ids: dict[str, str] = {}
        self.links: list[str] = []
        self._open_ids: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(action=a.get("action", ""), method=a.get("method", "get").lower()))
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if a.get("id") and tag not in ("input", "form"):
            self._open_ids.append((a["id"], []))

    def handle_data(self, data: str) -> None:
        for _, chunks in self._open_ids:
            chunks.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open_ids:
            element_id, chunks = self._open_ids.pop()
            self.ids[element_id] = "".join(chunks).strip()


@dataclass
class Page:
    response: httpx.Response
    forms: list[Form]
    ids: dict[str, str]
    links: list[str]

    @property
    def form(self) -> Form:
        assert self.forms, f"no form on the page:\n{self.response.text[:2000]}"
        return self.forms[0]


def page_parse(response: httpx.Response) -> Page:
    parser = _PageParser()
    parser.feed(response.text)
    return Page(response, parser.forms, parser.ids, parser.links)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class Browser:
    """One browser profile (its own cookies) against one emulator."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator
        self.http = httpx.Client(base_url=emulator.url, follow_redirects=False, timeout=10)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.http.get(url, **kwargs)

    def follow(self, response: httpx.Response, max_hops: int = 5) -> httpx.Response:
        """Follow redirects while they stay on the emulator; stop at the application's URL."""
        for _ in range(max_hops):
            if response.status_code not in (301, 302, 303, 307, 308):
                return response
            target = urljoin(str(response.url), response.headers["location"])
            if not target.startswith(self.emulator.url):
                return response
            response = self.http.get(target)
        return response

    def authorize(self, **params: str | None) -> httpx.Response:
        """GET /authorize with the portal's client defaults; ``None`` drops a parameter."""
        defaults: dict[str, str | None] = {
            "client_id": PORTAL_CLIENT_ID,
            "redirect_uri": PORTAL_CALLBACK,
            "response_type": "code",
            "scope": "openid profile email",
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
        }
        defaults.update(params)
        return self.http.get("/authorize", params={k: v for k, v in defaults.items() if v is not None})

    def submit(self, page: Page, **values: str) -> httpx.Response:
        form = page.form
        data = {**form.fields, **values}
        action = urljoin(str(page.response.url), form.action or str(page.response.url))
        return self.http.post(action, data=data)

    def login(self, email: str, password: str = DEMO_PASSWORD, **params: str | None) -> httpx.Response:
        """/authorize, the login form, credentials: the response that leaves the emulator (or the page)."""
        page = page_parse(self.follow(self.authorize(**params)))
        return self.submit(page, username=email, password=password)


def management_client(emulator: EmulatorProcess):
    """The official Management API SDK on the emulator, with the portal's M2M credentials."""
    from auth0.authentication import GetToken
    from auth0.management.client import Auth0

    token = GetToken(emulator.domain, "portal-m2m-dev", "portal-m2m-dev-secret", protocol="http").client_credentials(
        f"{emulator.url}/api/v2/"
    )["access_token"]
    return Auth0(base_url=f"{emulator.url}/api/v2", token=token, max_retries=0)


class Mailboxes:
    """Fresh email addresses for users a test creates, deleted again afterwards so the shared demo
    tenant keeps its exact contents (other tests count its users and members)."""

    def __init__(self, management) -> None:
        self.management = management
        self.emails: list[str] = []

    def new(self, prefix: str = "authn") -> str:
        email = f"{prefix}-{secrets.token_hex(5)}@authn-tests.example"
        self.emails.append(email)
        return email

    def cleanup(self) -> None:
        for email in self.emails:
            for user in self.management.users.list_users_by_email(email=email):
                self.management.users.delete(user.user_id)
