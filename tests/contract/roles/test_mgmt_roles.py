"""The tenant's roles and the users holding one, through the official SDK on the session's demo emulator:
every successful response checked against Auth0's schema, errors with Auth0's bodies, paging both ways."""

from __future__ import annotations

import uuid

import httpx
import pytest
from auth0.management.core.api_error import ApiError
from auth0.management.errors import ConflictError, NotFoundError

from auth0_emulator.seed import DEMO_ROLES, demo_role_id
from tests.support.openapi import management_token, response_check
from tests.support.processes import EmulatorProcess

UNKNOWN_ROLE = "rol_0000000000000000"
ROLE_NOT_FOUND = {"statusCode": 404, "error": "Not Found", "message": "The role does not exist."}


def headers(emulator: EmulatorProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {management_token(emulator.url)}"}


def unique_name(prefix: str = "Role") -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def new_user(mgmt) -> str:
    return mgmt.users.create(connection="Username-Password-Authentication", password="Str0ng-pass!",
                             email=f"roles-{uuid.uuid4().hex[:10]}@roles.test", verify_email=False).user_id


def test_the_demo_tenant_has_its_roles_with_stable_ids(mgmt) -> None:
    for name, description in DEMO_ROLES:
        role = mgmt.roles.get(demo_role_id(name))
        assert (role.id, role.name, role.description) == (demo_role_id(name), name, description)
        assert role.id.startswith("rol_") and len(role.id) == 20
    names = [r.name for r in mgmt.roles.list(per_page=100).items]
    assert {"Viewer", "Editor", "Billing admin"} <= set(names)


def test_create_get_update_delete(mgmt, sdk) -> None:
    name = unique_name()
    created = mgmt.roles.create(name=name, description="Reads reports")
    # 200, not 201, as the spec documents it.
    assert sdk[1].last.status_code == 200
    assert created.id.startswith("rol_") and len(created.id) == 20 and created.id[4:].isalnum()
    assert (created.name, created.description) == (name, "Reads reports")
    assert mgmt.roles.get(created.id).model_dump() == created.model_dump()
    renamed = mgmt.roles.update(created.id, name=name + " v2")
    assert (renamed.name, renamed.description) == (name + " v2", "Reads reports")
    described = mgmt.roles.update(created.id, description="Reads every report")
    assert (described.name, described.description) == (name + " v2", "Reads every report")
    bare = mgmt.roles.create(name=unique_name())
    assert "description" not in sdk[1].last.json()
    mgmt.roles.delete(bare.id)
    mgmt.roles.delete(created.id)
    assert sdk[1].last.status_code == 200 and sdk[1].last.json() == {}
    with pytest.raises(NotFoundError) as err:
        mgmt.roles.get(created.id)
    assert err.value.body == ROLE_NOT_FOUND


def test_unknown_role_is_auth0s_404_everywhere(emulator: EmulatorProcess, mgmt) -> None:
    with pytest.raises(NotFoundError) as err:
        mgmt.roles.delete(UNKNOWN_ROLE)
    assert err.value.body == ROLE_NOT_FOUND
    # The spec lists no 404 for PATCH, so the SDK raises its plain ApiError for Auth0's.
    with pytest.raises(ApiError) as err:
        mgmt.roles.update(UNKNOWN_ROLE, name=unique_name())
    assert (err.value.status_code, err.value.body) == (404, ROLE_NOT_FOUND)
    with pytest.raises(NotFoundError):
        mgmt.roles.users.assign(UNKNOWN_ROLE, users=[])
    for path in (f"roles/{UNKNOWN_ROLE}/users", f"roles/{UNKNOWN_ROLE}/permissions"):
        r = httpx.get(f"{emulator.url}/api/v2/{path}", headers=headers(emulator))
        assert (r.status_code, r.json()) == (404, ROLE_NOT_FOUND), path


def test_a_name_is_unique(mgmt) -> None:
    first, second = mgmt.roles.create(name=unique_name()), mgmt.roles.create(name=unique_name())
    with pytest.raises(ConflictError) as err:
        mgmt.roles.create(name=first.name)
    assert err.value.body == {"statusCode": 409, "error": "Conflict", "message": "The role already exists."}
    with pytest.raises(ApiError) as err:  # no 409 in the spec for PATCH: the SDK's plain ApiError
        mgmt.roles.update(second.id, name=first.name)
    assert err.value.status_code == 409 and err.value.body["message"] == "The role already exists."
    assert mgmt.roles.update(first.id, name=first.name).name == first.name  # its own name is no conflict


@pytest.mark.parametrize(("body", "message"), [
    ({}, "Payload validation error: 'Missing required property: name'."),
    ({"name": ""}, "Payload validation error: 'String is too short (0 chars), minimum 1' on property name "
                   "(Name of the role.)."),
    ({"name": 7}, "Payload validation error: 'Expected type string but found type number' on property name "
                  "(Name of the role.)."),
    ({"name": "x", "description": ["a"]}, "Payload validation error: 'Expected type string but found type array' "
                                          "on property description (Description of the role.)."),
    ({"name": "x", "permissions": []}, "Payload validation error: 'Additional properties not allowed: "
                                       "permissions'."),
])
def test_bad_bodies_are_auth0s_400s(emulator: EmulatorProcess, body: dict, message: str) -> None:
    r = httpx.post(f"{emulator.url}/api/v2/roles", json=body, headers=headers(emulator))
    assert r.status_code == 400
    assert r.json() == {"statusCode": 400, "error": "Bad Request", "message": message, "errorCode": "invalid_body"}


def test_list_pages_totals_and_name_filter(emulator: EmulatorProcess, mgmt, sdk) -> None:
    tag = uuid.uuid4().hex[:8]
    made = [mgmt.roles.create(name=f"Paging {tag} {i:02d}") for i in range(5)]
    pager = mgmt.roles.list(name_filter=f"PAGING {tag.upper()}", per_page=2, page=1, include_totals=True)
    body = sdk[1].last.json()
    assert (body["start"], body["limit"], body["total"]) == (2, 2, 5)
    assert [r.name for r in pager.items] == [made[2].name, made[3].name]
    assert [r.id for r in mgmt.roles.list(name_filter=tag, per_page=100)] == [r.id for r in made]
    bare = httpx.get(f"{emulator.url}/api/v2/roles", params={"name_filter": tag}, headers=headers(emulator))
    assert isinstance(bare.json(), list) and len(bare.json()) == 5
    assert response_check("GET", "/roles", 200, bare.json())
    for params in ({"per_page": 101}, {"page": -1}, {"include_totals": "maybe"}):
        r = httpx.get(f"{emulator.url}/api/v2/roles", params=params, headers=headers(emulator))
        assert r.status_code == 400 and r.json()["errorCode"] == "invalid_query_string", params


def test_role_users_assign_and_page_both_ways(emulator: EmulatorProcess, mgmt, sdk) -> None:
    role = mgmt.roles.create(name=unique_name())
    users = sorted(new_user(mgmt) for _ in range(5))
    mgmt.roles.users.assign(role.id, users=users[:3])
    assert sdk[1].last.status_code == 200 and sdk[1].last.json() == {}
    mgmt.roles.users.assign(role.id, users=users[2:])  # users[2] holds it already: kept once
    # The SDK pages by checkpoint; its pager follows ``next``.
    first = mgmt.roles.users.list(role.id, take=2)
    page = sdk[1].last.json()
    assert [u["user_id"] for u in page["users"]] == users[:2] and page["next"] == users[1]
    assert [u.user_id for u in first] == users
    assert all(u.email.endswith("@roles.test") and u.name and u.picture for u in first)
    offset = httpx.get(f"{emulator.url}/api/v2/roles/{role.id}/users",
                       params={"page": 1, "per_page": 2, "include_totals": "true"}, headers=headers(emulator))
    body = offset.json()
    assert (body["start"], body["limit"], body["total"]) == (2, 2, 5)
    assert [u["user_id"] for u in body["users"]] == users[2:4]
    assert set(body["users"][0]) == {"user_id", "email", "picture", "name"}
    assert response_check("GET", f"/roles/{role.id}/users", 200, body)
    last = httpx.get(f"{emulator.url}/api/v2/roles/{role.id}/users", params={"from": users[3], "take": 5},
                     headers=headers(emulator)).json()
    assert [u["user_id"] for u in last["users"]] == users[4:] and "next" not in last
    assert [r.id for r in mgmt.users.roles.list(users[2]).items] == [role.id]


def test_role_users_errors(emulator: EmulatorProcess, mgmt) -> None:
    role = mgmt.roles.create(name=unique_name())
    user_id = new_user(mgmt)
    with pytest.raises(NotFoundError) as err:
        mgmt.roles.users.assign(role.id, users=[user_id, "auth0|" + "0" * 24])
    assert err.value.body == {"statusCode": 404, "error": "Not Found",
                              "message": "One or more of the users do not exist."}
    assert list(mgmt.roles.users.list(role.id)) == []  # nobody was given the role
    for body in ({}, {"users": "auth0|x"}, {"users": [3]}, {"users": [user_id], "roles": []}):
        r = httpx.post(f"{emulator.url}/api/v2/roles/{role.id}/users", json=body, headers=headers(emulator))
        assert r.status_code == 400 and r.json()["errorCode"] == "invalid_body", body
    r = httpx.get(f"{emulator.url}/api/v2/roles/{role.id}/users", params={"from": "auth0|nobody"},
                  headers=headers(emulator))
    assert r.status_code == 400 and r.json()["errorCode"] == "invalid_query_string"


def test_permissions_are_listed_empty(emulator: EmulatorProcess, mgmt) -> None:
    role = demo_role_id("Viewer")
    assert mgmt.roles.permissions.list(role).items == []
    r = httpx.get(f"{emulator.url}/api/v2/roles/{role}/permissions", params={"include_totals": "true"},
                  headers=headers(emulator))
    assert r.json() == {"start": 0, "limit": 50, "total": 0, "permissions": []}
    assert response_check("GET", f"/roles/{role}/permissions", 200, r.json())


def scoped_token(emulator: EmulatorProcess, scopes: str) -> str:
    """A Management API token of the portal's client carrying only ``scopes``."""
    r = httpx.post(f"{emulator.url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "portal-m2m-dev", "client_secret": "portal-m2m-dev-secret",
        "audience": f"{emulator.url}/api/v2/", "scope": scopes})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


@pytest.mark.parametrize(("scopes", "status"),
                         [("read:users", 403), ("read:roles", 403), ("read:users read:roles", 200)])
def test_reading_who_holds_a_role_needs_both_scopes(
    emulator: EmulatorProcess, scopes: str, status: int
) -> None:
    auth = {"Authorization": f"Bearer {scoped_token(emulator, scopes)}"}
    role = demo_role_id("Editor")
    r = httpx.get(f"{emulator.url}/api/v2/roles/{role}/users", headers=auth)
    assert r.status_code == status, r.text
    if status == 403:
        assert r.json() == {"statusCode": 403, "error": "Forbidden", "errorCode": "insufficient_scope",
                            "message": "Insufficient scope, expected all of: read:users,read:roles"}
    r = httpx.post(f"{emulator.url}/api/v2/roles", json={"name": unique_name()}, headers=auth)
    assert r.status_code == 403 and r.json()["message"] == "Insufficient scope, expected any of: create:roles"
