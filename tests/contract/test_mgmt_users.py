"""Users endpoints through the official SDK, every response checked against Auth0's OpenAPI schema."""

from __future__ import annotations

import hashlib
import time
import uuid

import httpx
import pytest
from auth0.management.errors import BadRequestError, ConflictError, NotFoundError

from tests.support.openapi import management_token, validating_client
from tests.support.processes import EmulatorProcess

GLOBEX_ORG_ID = "org_" + hashlib.sha1(b"globex").hexdigest()[:16]  # noqa: S324 - the demo seed's id


def headers(emulator: EmulatorProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {management_token(emulator.url)}"}


def unique_email(prefix: str = "c") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@acme.test"


def test_list_with_totals_and_paging(mgmt, sdk) -> None:
    pager = mgmt.users.list(q='identities.connection:"acme-users"', per_page=10, page=1, include_totals=True)
    body = sdk[1].last.json()
    assert body["start"] == 10 and body["limit"] == 10 and body["length"] == 10
    assert body["total"] >= 32
    assert len(pager.items) == 10
    assert all(u.identities[0].connection == "acme-users" for u in pager.items)
    assert sdk[1].validated > 0


def test_search_by_org_slug_org_id_and_email(mgmt) -> None:
    initech = mgmt.users.list(q='app_metadata.organizations:"initech"', per_page=100).items
    # Initech's and Globex's own people, and the consultant who belongs to both.
    assert {u.email.split("@")[1] for u in initech} == {"initech.test", "partner.test"} and len(initech) >= 33
    globex = mgmt.users.list(q=f'organization_id:"{GLOBEX_ORG_ID}"', per_page=100).items
    assert len(globex) == 33 and {u.email.split("@")[1] for u in globex} == {"globex.test", "partner.test"}
    one = mgmt.users.list(q='email:"Viewer@Acme.test"').items
    assert [u.email for u in one] == ["viewer@acme.test"]


def test_lucene_boolean_wildcards_ranges_and_fields(mgmt, sdk) -> None:
    q = '(email:user0* OR email:user1*) AND NOT email.domain:"globex.test" AND email_verified:true'
    users = mgmt.users.list(q=q, per_page=100, fields="email,user_id", include_fields=True).items
    emails = {u.email for u in users}
    assert "user01@acme.test" in emails and "user10@initech.test" in emails
    assert not any(e.endswith("@globex.test") for e in emails)
    assert all(set(r) == {"email", "user_id"} for r in sdk[1].last.json()["users"])
    dated = mgmt.users.list(q="created_at:[2025-01-01 TO 2025-02-01}", per_page=100).items
    assert dated and all("2025-01-01" <= u.created_at.isoformat()[:10] < "2025-02-01" for u in dated)
    meta = mgmt.users.list(q='user_metadata.job_title:"Auditor"', per_page=100).items
    assert {u.email.split("@")[0] for u in meta} == {"viewer"} and len(meta) == 3


def test_sort_both_ways(mgmt) -> None:
    q = 'identities.connection:"acme-users"'
    up = [u.email for u in mgmt.users.list(q=q, sort="email:1", per_page=5).items]
    down = [u.email for u in mgmt.users.list(q=q, sort="email:-1", per_page=5).items]
    assert up == sorted(up) and down == sorted(down, reverse=True) and up[0] != down[0]


def test_search_errors_are_auth0s_400s(emulator: EmulatorProcess, mgmt) -> None:
    with pytest.raises(BadRequestError) as err:
        mgmt.users.list(q="email:(broken")
    assert err.value.body["errorCode"] == "invalid_query_string"
    r = httpx.get(f"{emulator.url}/api/v2/users", params={"page": 10, "per_page": 100}, headers=headers(emulator))
    assert r.status_code == 400
    assert r.json() == {
        "statusCode": 400, "error": "Bad Request", "errorCode": "invalid_paging",
        "message": "You can only page through the first 1000 records. "
                   "See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation",
    }
    for params in ({"per_page": 101}, {"sort": "email"}, {"q": "name:a*b"}, {"q": "user_metadata.x:ab*"}):
        r = httpx.get(f"{emulator.url}/api/v2/users", params=params, headers=headers(emulator))
        assert r.status_code == 400, params
        assert r.json()["statusCode"] == 400 and r.json()["message"]


def test_create_get_update_delete(emulator: EmulatorProcess, mgmt) -> None:
    email = unique_email()
    created = mgmt.users.create(connection="acme-users", email=email.upper(), password="Str0ng-pass!",
                                user_metadata={"a": 1, "b": {"x": 1}}, app_metadata={"plan": "gold"},
                                verify_email=False)
    assert created.email == email and created.email_verified is False
    assert created.user_id.startswith("auth0|") and len(created.user_id) == 30
    assert created.created_at.microsecond % 1000 == 0
    encoded = created.user_id.replace("|", "%7C")
    raw = httpx.get(f"{emulator.url}/api/v2/users/{encoded}", headers=headers(emulator))
    assert raw.status_code == 200 and raw.json()["created_at"].endswith("Z")
    updated = mgmt.users.update(created.user_id, user_metadata={"a": None, "b": {"y": 2}, "c": 3}, blocked=True)
    assert updated.user_metadata == {"b": {"y": 2}, "c": 3} and updated.blocked is True
    assert updated.app_metadata == {"plan": "gold"}
    cleared = mgmt.users.update(created.user_id, user_metadata={})
    assert not cleared.user_metadata
    mgmt.users.delete(created.user_id)
    with pytest.raises(NotFoundError) as err:
        mgmt.users.get(created.user_id)
    assert err.value.body == {"statusCode": 404, "error": "Not Found", "message": "The user does not exist.",
                              "errorCode": "inexistent_user"}


def test_create_errors(mgmt) -> None:
    with pytest.raises(ConflictError) as err:
        mgmt.users.create(connection="acme-users", email="admin@acme.test", password="Str0ng-pass!")
    assert err.value.body == {"statusCode": 409, "error": "Conflict", "message": "The user already exists.",
                              "errorCode": "auth0_idp_error"}
    with pytest.raises(BadRequestError) as err:
        mgmt.users.create(connection="acme-users", email=unique_email(), password="weak")
    assert err.value.body["message"] == "PasswordStrengthError: Password is too weak"
    with pytest.raises(BadRequestError) as err:
        mgmt.users.create(connection="no-such-connection", email=unique_email(), password="Str0ng-pass!")
    assert err.value.body["statusCode"] == 400
    with pytest.raises(BadRequestError) as err:
        mgmt.users.create(connection="acme-users", email=unique_email(), password="Str0ng-pass!", username="bob")
    assert "requires_username" in err.value.body["message"]


@pytest.mark.parametrize(("a", "b"), [("password", "email"), ("password", "email_verified"),
                                      ("username", "email"), ("username", "email_verified"),
                                      ("username", "password")])
def test_patch_rejects_field_combinations(emulator: EmulatorProcess, a: str, b: str) -> None:
    values = {"password": "Str0ng-pass!", "email": "x@acme.test", "email_verified": True, "username": "bob"}
    user_id = "auth0|" + hashlib.sha1(b"user03@acme.test").hexdigest()[:24]  # noqa: S324 - demo id
    r = httpx.patch(f"{emulator.url}/api/v2/users/{user_id}", json={a: values[a], b: values[b]},
                    headers=headers(emulator))
    assert r.status_code == 400
    assert r.json()["message"] == f"Cannot update {a} and {b} simultaneously"


def test_users_by_email_is_case_insensitive_and_immediate(mgmt) -> None:
    email = unique_email("byemail")
    created = mgmt.users.create(connection="acme-users", email=email, password="Str0ng-pass!", verify_email=False)
    found = mgmt.users.list_users_by_email(email=email.upper())
    assert [u.user_id for u in found] == [created.user_id]


def test_user_organizations(mgmt) -> None:
    user_id = "auth0|" + hashlib.sha1(b"user04@globex.test").hexdigest()[:24]  # noqa: S324 - demo id
    orgs = mgmt.users.organizations.list(user_id).items
    assert [o.name for o in orgs] == ["globex"]


def test_search_lag(emulator_factory) -> None:
    emu = emulator_factory("--seed", "demo", "--no-rate-limits", "--search-lag", "1.5")
    client, _ = validating_client(f"{emu.url}/api/v2", management_token(emu.url))
    email = unique_email("lag")
    created = client.users.create(connection="acme-users", email=email, password="Str0ng-pass!",
                                  verify_email=False)
    assert client.users.get(created.user_id).email == email
    assert client.users.list(q=f'email:"{email}"').items == []
    deadline = time.monotonic() + 15
    found = []
    while not found and time.monotonic() < deadline:
        time.sleep(0.25)
        found = client.users.list(q=f'email:"{email}"').items
    assert [u.user_id for u in found] == [created.user_id]
