"""auth0_gateway against a real emulator process: every gateway call, over HTTP, through the SDK.

These tests need no database. The module starts its own demo tenant (so the users it creates do not
disturb the shared one) and compares what the gateway returns with what the emulator serves.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from auth0_gateway import (
    Auth0Conflict,
    Auth0Gateway,
    Auth0NotFound,
    Auth0Permanent,
    ExportField,
    Job,
    UserBlock,
)
from tests.support.authn_browser import Browser, page_parse
from tests.support.processes import EmulatorProcess

M2M_ID, M2M_SECRET = "portal-m2m-dev", "portal-m2m-dev-secret"
WEB_CLIENT_ID = "portal-web-dev"
SHARED = "Username-Password-Authentication"
ACME = "acme-users"
STRONG_PASSWORD = "Gateway-test-2026!"


# -- helpers shared with the other test_gateway* modules ----------------------------------------
class _CountingStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, owner: RecordingTransport) -> None:
        self._inner = inner
        self._owner = owner

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._owner.bytes_received += len(chunk)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class RecordingTransport(httpx.BaseTransport):
    """A real HTTP transport that remembers every request and response status/headers, and counts
    body bytes as the caller actually reads them."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []
        self.responses: list[tuple[int, httpx.Headers]] = []
        self.bytes_received = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = self._inner.handle_request(request)
        self.responses.append((response.status_code, response.headers))
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_CountingStream(response.stream, self),
            extensions=response.extensions,
            request=request,
        )

    def close(self) -> None:
        self._inner.close()

    def api_requests(self, path_suffix: str = "") -> list[httpx.Request]:
        return [r for r in self.requests if "/api/v2/" in r.url.path and r.url.path.endswith(path_suffix)]


def gateway_for(
    emulator: EmulatorProcess,
    transport: RecordingTransport | None = None,
    *,
    client_id: str = M2M_ID,
    client_secret: str = M2M_SECRET,
    audience: str | None = None,
) -> Auth0Gateway:
    http = httpx.Client(transport=transport, timeout=10, follow_redirects=True) if transport else None
    return Auth0Gateway(
        base_url=emulator.url,
        domain=emulator.domain,
        client_id=client_id,
        client_secret=client_secret,
        audience=audience or f"{emulator.url}/api/v2/",
        timeout=10,
        httpx_client=http,
    )


def raw_token(emulator: EmulatorProcess) -> str:
    """A Management API token fetched without the gateway, to read what the emulator serves."""
    response = httpx.post(
        f"{emulator.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": M2M_ID,
            "client_secret": M2M_SECRET,
            "audience": f"{emulator.url}/api/v2/",
        },
    )
    response.raise_for_status()
    return response.json()["access_token"]


def raw_get(emulator: EmulatorProcess, path: str, **params) -> httpx.Response:
    return httpx.get(
        f"{emulator.url}/api/v2/{path}",
        params=params,
        headers={"Authorization": f"Bearer {raw_token(emulator)}"},
    )


def demo_user_id(email: str) -> str:
    return "auth0|" + hashlib.sha1(email.lower().encode()).hexdigest()[:24]  # noqa: S324 - demo seed ids


def unique_email(prefix: str = "gw") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@gateway.test"


def job_wait(gw: Auth0Gateway, job: Job, deadline_seconds: float = 60.0) -> Job:
    deadline = time.monotonic() + deadline_seconds
    while not job.finished:
        assert time.monotonic() < deadline, f"job {job.id} still {job.status}"
        time.sleep(0.05)
        job = gw.job_get(job_id=job.id)
    return job


# -- fixtures -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def emu(emulator_factory) -> EmulatorProcess:
    return emulator_factory("--seed", "demo", "--test-controls", "--no-rate-limits")


@pytest.fixture(scope="module")
def gw(emu) -> Iterator[Auth0Gateway]:
    gateway = gateway_for(emu)
    yield gateway
    gateway.close()


@pytest.fixture
def user(gw) -> Iterator[dict]:
    created = gw.user_create(
        connection=SHARED,
        email=unique_email(),
        password=STRONG_PASSWORD,
        given_name="Grace",
        family_name="Hopper",
        user_metadata={"plan": {"tier": "gold"}, "locale": "en"},
        app_metadata={"organizations": ["initech"]},
    )
    yield created
    gw.user_delete(user_id=created["user_id"])


# -- users --------------------------------------------------------------------------------------
def test_created_user_is_returned_found_and_searchable(gw, user):
    assert user["user_id"].startswith("auth0|")
    assert user["identities"][0]["connection"] == SHARED
    assert user["user_metadata"] == {"plan": {"tier": "gold"}, "locale": "en"}
    assert user["email_verified"] is False  # Auth0's default
    assert gw.user_get(user_id=user["user_id"]) == user
    assert gw.users_by_email(email=user["email"].upper()) == [user]
    page = gw.users_page(q=f'email:"{user["email"]}"')
    assert page.total == 1 and [u["user_id"] for u in page.users] == [user["user_id"]]


def test_user_dicts_are_exactly_the_json_auth0_sent(emu, gw):
    user_id = demo_user_id("user07@acme.test")
    assert gw.user_get(user_id=user_id) == raw_get(emu, f"users/{user_id}").json()
    q = 'identities.connection:"acme-users"'
    served = raw_get(emu, "users", q=q, per_page=7, page=1, include_totals="true", search_engine="v3").json()
    page = gw.users_page(q=q, per_page=7, page=1)
    assert page.users == served["users"]
    assert (page.start, page.limit, page.total) == (served["start"], served["limit"], served["total"])


def test_other_dicts_are_exactly_the_json_auth0_sent(emu, gw):
    globex = gw.organization_get_by_name(name="globex")
    assert globex == raw_get(emu, "organizations/name/globex").json()
    assert gw.organization_get(organization_id=globex["id"]) == globex
    acme = gw.connection_get_by_name(name=ACME)
    assert gw.connection_get(connection_id=acme["id"]) == raw_get(emu, f"connections/{acme['id']}").json()
    user_id = demo_user_id("user02@globex.test")
    assert gw.user_organizations(user_id=user_id) == raw_get(emu, f"users/{user_id}/organizations").json()
    logs = gw.user_logs_page(user_id=demo_user_id("user05@acme.test"), per_page=5)
    served = raw_get(emu, f"users/{demo_user_id('user05@acme.test')}/logs", per_page=5, include_totals="true")
    assert logs.logs == served.json()["logs"]


def test_fields_projection_passes_through(gw):
    page = gw.users_page(q='email:"viewer@acme.test"', fields=["email", "user_id"], include_fields=True)
    assert page.users == [{"email": "viewer@acme.test", "user_id": demo_user_id("viewer@acme.test")}]
    user = gw.user_get(user_id=demo_user_id("viewer@acme.test"), fields=["user_metadata"], include_fields=False)
    assert "user_metadata" not in user and user["email"] == "viewer@acme.test"


def test_metadata_merge_and_null_deletion_are_auth0s(gw, user):
    updated = gw.user_update(
        user_id=user["user_id"], user_metadata={"plan": {"seats": 5}, "locale": None, "team": "core"}
    )
    # First level merged, nested objects replaced whole, None deletes the key.
    assert updated["user_metadata"] == {"plan": {"seats": 5}, "team": "core"}
    assert updated["app_metadata"] == {"organizations": ["initech"]}  # untouched: not sent
    assert updated["given_name"] == "Grace"
    cleared = gw.user_update(user_id=user["user_id"], user_metadata={}, name="Grace B. Hopper")
    assert cleared.get("user_metadata", {}) == {}  # {} clears the whole object
    assert cleared["name"] == "Grace B. Hopper"
    assert gw.user_get(user_id=user["user_id"]) == cleared


def test_duplicate_user_is_a_conflict_with_auth0s_message(gw, user):
    with pytest.raises(Auth0Conflict) as caught:
        gw.user_create(connection=SHARED, email=user["email"], password=STRONG_PASSWORD)
    assert caught.value.status == 409
    assert caught.value.message == "The user already exists."
    assert caught.value.error_code == "auth0_idp_error"


def test_a_user_made_with_the_id_asked_for_and_that_id_only_once(gw):
    """A database connection's user takes the id the caller gives (``auth0|<id>``, as Auth0 does); a second
    create with that id is a conflict whatever its email (how an invitation knows its own account)."""
    wanted = uuid.uuid4().hex
    created = gw.user_create(connection=SHARED, user_id=wanted, email=unique_email(), password=STRONG_PASSWORD)
    assert created["user_id"] == f"auth0|{wanted}" and created["identities"][0]["user_id"] == wanted
    assert gw.user_get(user_id=f"auth0|{wanted}")["email"] == created["email"]
    with pytest.raises(Auth0Conflict):
        gw.user_create(connection=SHARED, user_id=wanted, email=unique_email(), password=STRONG_PASSWORD)
    gw.user_delete(user_id=created["user_id"])


def test_unknown_user_is_not_found(gw):
    with pytest.raises(Auth0NotFound) as caught:
        gw.user_get(user_id="auth0|" + "0" * 24)
    assert (caught.value.status, caught.value.error_code) == (404, "inexistent_user")
    assert caught.value.message == "The user does not exist."


def test_bad_requests_are_permanent_with_auth0s_message(gw, user):
    with pytest.raises(Auth0Permanent) as weak:
        gw.user_create(connection=SHARED, email=unique_email(), password="short")
    assert weak.value.status == 400 and "PasswordStrengthError" in weak.value.message
    assert not isinstance(weak.value, Auth0Conflict | Auth0NotFound)
    with pytest.raises(Auth0Permanent) as both:
        gw.user_update(user_id=user["user_id"], password=STRONG_PASSWORD, email=unique_email())
    assert both.value.status == 400 and both.value.error_code == "invalid_body"
    assert both.value.message == "Cannot update password and email simultaneously"
    with pytest.raises(Auth0Permanent) as paging:
        gw.users_page(page=10, per_page=100)
    assert paging.value.error_code == "invalid_paging"
    assert paging.value.message.startswith("You can only page through the first 1000 records.")


def test_deleted_user_is_gone(gw):
    created = gw.user_create(connection=SHARED, email=unique_email(), password=STRONG_PASSWORD)
    gw.user_delete(user_id=created["user_id"])
    with pytest.raises(Auth0NotFound):
        gw.user_get(user_id=created["user_id"])
    assert gw.users_by_email(email=created["email"]) == []


def test_search_iterator_stops_on_the_total_without_an_empty_page(emu):
    transport = RecordingTransport()
    gw = gateway_for(emu, transport)
    q = 'identities.connection:"acme-users"'
    total = gw.users_page(q=q, per_page=1).total
    assert total > 2
    # A page size that divides the total: a short-page-only loop would ask for one more, empty page.
    per_page = next(p for p in range(total // 2, 0, -1) if total % p == 0)
    before = len(transport.api_requests("/users"))
    search = gw.users_search(q=q, per_page=per_page, sort="email:1")
    emails = [u["email"] for u in search]
    assert len(emails) == total == len(set(emails)) and emails == sorted(emails)
    assert len(transport.api_requests("/users")) - before == total // per_page
    assert search.total == total and not search.limit_reached
    # A page size that does not divide it ends on the short page.
    uneven = total // 2 + 1
    before = len(transport.api_requests("/users"))
    assert len(list(gw.users_search(q=q, per_page=uneven))) == total
    assert len(transport.api_requests("/users")) - before == 2
    gw.close()


# -- tickets and emails -------------------------------------------------------------------------
def test_password_change_ticket_url_opens_the_hosted_page(emu, gw, user):
    url = gw.password_change_ticket_create(
        user_id=user["user_id"],
        result_url="http://localhost:8000/done",
        ttl_sec=600,
        mark_email_as_verified=True,
        client_id=WEB_CLIENT_ID,
    )
    assert url.startswith(f"{emu.url}/u/reset-password?ticket=")
    page = httpx.get(url)
    assert page.status_code == 200 and "password" in page.text.lower()


def test_password_change_ticket_for_an_organization_member(emu, gw):
    globex = gw.organization_get_by_name(name="globex")
    url = gw.password_change_ticket_create(
        user_id=demo_user_id("user04@globex.test"), organization_id=globex["id"], client_id=WEB_CLIENT_ID
    )
    assert url.startswith(f"{emu.url}/u/reset-password?ticket=")
    assert httpx.get(url).status_code == 200


def test_password_change_ticket_for_unknown_user_is_not_found(gw):
    with pytest.raises(Auth0NotFound):
        gw.password_change_ticket_create(user_id="auth0|" + "1" * 24)


def test_email_verification_ticket_verifies_the_address_and_leads_back(emu, gw, user):
    def sent() -> list[dict]:
        return httpx.get(f"{emu.url}/emulator/outbox", params={"to": user["email"]}).json()

    before = sent()  # Auth0 sent one when the account was made
    url = gw.email_verification_ticket_create(user_id=user["user_id"], result_url="https://portal.test/signin/",
                                              ttl_sec=3600)
    assert url.startswith(f"{emu.url}/u/email-verification?ticket=")
    assert sent() == before  # delivery is the caller's: Auth0 sends nothing for a ticket
    followed = httpx.get(url)
    assert followed.status_code == 302
    assert followed.headers["location"].startswith("https://portal.test/signin/?success=true")
    assert gw.user_get(user_id=user["user_id"])["email_verified"] is True
    assert httpx.get(url).status_code >= 400  # a ticket works once


def test_email_verification_ticket_for_unknown_user_is_not_found(gw):
    with pytest.raises(Auth0NotFound):
        gw.email_verification_ticket_create(user_id="auth0|" + "1" * 24)


# -- brute-force blocks and logs ----------------------------------------------------------------
def test_user_blocks_by_id_and_identifier(emu, gw):
    email = "user21@initech.test"
    user_id = demo_user_id(email)
    assert gw.user_blocks_get(user_id=user_id) == []
    with Browser(emu) as browser:
        page = page_parse(browser.follow(browser.authorize()))
        for attempt in range(10):
            page = page_parse(browser.submit(page, username=email, password=f"wrong-{attempt}"))
    expected = [UserBlock(identifier=email, ip="127.0.0.1", connection=SHARED)]
    assert gw.user_blocks_get(user_id=user_id) == expected
    assert gw.user_blocks_get_by_identifier(identifier=email) == expected
    gw.user_blocks_clear(user_id=user_id)
    assert gw.user_blocks_get(user_id=user_id) == []

    # Block again, clear by identifier this time.
    with Browser(emu) as browser:
        page = page_parse(browser.follow(browser.authorize()))
        for attempt in range(10):
            page = page_parse(browser.submit(page, username=email, password=f"again-{attempt}"))
    assert gw.user_blocks_get_by_identifier(identifier=email) != []
    gw.user_blocks_clear_by_identifier(identifier=email)
    assert gw.user_blocks_get_by_identifier(identifier=email) == []
    assert gw.user_blocks_get(user_id=user_id) == []


def test_user_logs_page(gw, user):
    gw.user_update(user_id=user["user_id"], nickname="amazing")
    page = gw.user_logs_page(user_id=user["user_id"], per_page=2)
    assert page.total >= 3  # signup by the API, the create, the update
    assert page.start == 0 and page.limit == 2 and len(page.logs) == 2
    assert all(e["user_id"] == user["user_id"] for e in page.logs)
    newest = page.logs[0]
    assert newest["type"] == "sapi" and newest["date"].endswith("Z")
    second = gw.user_logs_page(user_id=user["user_id"], page=1, per_page=2)
    assert {e["log_id"] for e in second.logs}.isdisjoint({e["log_id"] for e in page.logs})
    with pytest.raises(Auth0NotFound):
        gw.user_logs_page(user_id="auth0|" + "2" * 24)


def test_user_organizations(gw):
    globex = gw.organization_get_by_name(name="globex")
    assert gw.user_organizations(user_id=demo_user_id("user03@globex.test")) == [globex]
    assert gw.user_organizations(user_id=demo_user_id("user03@acme.test")) == []


# -- connections --------------------------------------------------------------------------------
def test_connections_list_get_and_by_name(gw):
    names = [c["name"] for c in gw.connections_list()]
    assert {SHARED, ACME} <= set(names)
    acme = gw.connection_get_by_name(name=ACME)
    assert acme["strategy"] == "auth0"
    full = gw.connection_get(connection_id=acme["id"])
    # The list view (which by-name uses) leaves out the deprecated enabled_clients, as Auth0 does.
    assert {k: v for k, v in full.items() if k != "enabled_clients"} == acme
    assert [c["name"] for c in gw.connections_list(strategy="auth0")] == names
    with pytest.raises(Auth0NotFound):
        gw.connection_get_by_name(name="no-such-connection")
    with pytest.raises(Auth0NotFound):
        gw.connection_get(connection_id="con_0000000000000000")


def test_connection_create_database(gw):
    name = f"gw-{uuid.uuid4().hex[:8]}"
    created = gw.connection_create_database(
        name=name, display_name="Gateway test", enabled_clients=[WEB_CLIENT_ID, M2M_ID],
        options={"passwordPolicy": "fair"},
    )
    assert created["name"] == name and created["strategy"] == "auth0"
    assert created["options"]["passwordPolicy"] == "fair"
    assert gw.connection_get_by_name(name=name)["id"] == created["id"]
    assert gw.connection_get(connection_id=created["id"])["enabled_clients"] == [WEB_CLIENT_ID, M2M_ID]
    with pytest.raises(Auth0Conflict) as caught:
        gw.connection_create_database(name=name)
    assert caught.value.status == 409 and caught.value.message


# -- organizations ------------------------------------------------------------------------------
def test_organization_create_get_and_by_name(gw):
    name = f"gw{uuid.uuid4().hex[:8]}"
    created = gw.organization_create(
        name=name, display_name="Gateway Org", metadata={"portal_slug": name},
        branding={"colors": {"primary": "#123456", "page_background": "#ffffff"}},
    )
    assert created["id"].startswith("org_") and created["name"] == name
    assert gw.organization_get(organization_id=created["id"]) == created
    assert gw.organization_get_by_name(name=name) == created
    with pytest.raises(Auth0Conflict):
        gw.organization_create(name=name)
    with pytest.raises(Auth0NotFound):
        gw.organization_get_by_name(name="no-such-org")


def test_organization_connection_enable(gw):
    org = gw.organization_create(name=f"gw{uuid.uuid4().hex[:8]}")
    acme = gw.connection_get_by_name(name=ACME)
    enabled = gw.organization_connection_enable(
        organization_id=org["id"], connection_id=acme["id"], assign_membership_on_login=False
    )
    assert enabled["connection_id"] == acme["id"]
    assert enabled["assign_membership_on_login"] is False


def test_organization_members_add_list_with_checkpoints_and_remove(gw):
    org = gw.organization_create(name=f"gw{uuid.uuid4().hex[:8]}")
    user_ids = [demo_user_id(f"user{i:02d}@globex.test") for i in range(1, 8)]
    gw.organization_members_add(organization_id=org["id"], user_ids=user_ids)
    first = gw.organization_members_page(organization_id=org["id"], take=3)
    assert len(first.members) == 3 and first.next is not None
    second = gw.organization_members_page(organization_id=org["id"], from_=first.next, take=3)
    assert {m["user_id"] for m in second.members}.isdisjoint({m["user_id"] for m in first.members})
    members = list(gw.organization_members(organization_id=org["id"], take=3))
    assert sorted(m["user_id"] for m in members) == sorted(user_ids)
    assert all(m["email"].endswith("@globex.test") for m in members)
    gw.organization_members_remove(organization_id=org["id"], user_ids=user_ids[:5])
    assert sorted(m["user_id"] for m in gw.organization_members(organization_id=org["id"])) == sorted(
        user_ids[5:]
    )
    assert org in gw.user_organizations(user_id=user_ids[6])
    with pytest.raises(Auth0NotFound):
        gw.organization_members_page(organization_id="org_0000000000000000")


def test_organization_invitations_create_list_delete(gw):
    globex = gw.organization_get_by_name(name="globex")
    invitee = unique_email("invitee")
    invitation = gw.organization_invitation_create(
        organization_id=globex["id"], inviter_name="Globex admin", invitee_email=invitee,
        client_id=WEB_CLIENT_ID, ttl_sec=3600, app_metadata={"source": "gateway-test"},
    )
    assert invitation["invitee"] == {"email": invitee} and invitation["inviter"] == {"name": "Globex admin"}
    assert invitation["organization_id"] == globex["id"] and invitation["invitation_url"]
    listed = gw.organization_invitations(organization_id=globex["id"])
    assert invitation["id"] in {i["id"] for i in listed}
    gw.organization_invitation_delete(organization_id=globex["id"], invitation_id=invitation["id"])
    assert invitation["id"] not in {i["id"] for i in gw.organization_invitations(organization_id=globex["id"])}
    with pytest.raises(Auth0NotFound):
        gw.organization_invitations(organization_id="org_0000000000000000")


# -- users export (small; the large one is in test_gateway_bulk) ---------------------------------
def test_users_export_of_one_connection_with_chosen_fields(gw):
    acme = gw.connection_get_by_name(name=ACME)
    job = gw.users_export_start(
        connection_id=acme["id"],
        fields=["user_id", "email", ExportField("user_metadata.job_title", export_as="title")],
    )
    assert job.type == "users_export" and job.connection_id == acme["id"]
    job = job_wait(gw, job)
    assert job.status == "completed" and job.location
    rows = list(gw.users_export_rows(location=job.location))
    expected = {u["user_id"]: u for u in gw.users_search(q='identities.connection:"acme-users"')}
    assert {r["user_id"] for r in rows} == set(expected)
    for row in rows:
        assert set(row) <= {"user_id", "email", "title"}
        assert row["email"] == expected[row["user_id"]]["email"]
        assert row.get("title") == expected[row["user_id"]].get("user_metadata", {}).get("job_title")


def test_unknown_job_and_missing_export_file_are_not_found(emu, gw):
    with pytest.raises(Auth0NotFound):
        gw.job_get(job_id="job_0000000000000000")
    with pytest.raises(Auth0NotFound):
        list(gw.users_export_rows(location=f"{emu.url}/emulator-exports/job_0000000000000000-x.json.gz"))
