"""Who holds which role: a user's roles in the whole tenant and a member's roles within one organization,
apart from each other, through the official SDK on the session's demo emulator (every successful
response checked against Auth0's schema); what ends them (deleting the role or the user, ending the
membership); their errors; and the rate-limit group each call counts against."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from auth0.management.core.api_error import ApiError
from auth0.management.errors import ConflictError

from auth0_emulator.seed import demo_role_id
from tests.support.openapi import management_token, response_check
from tests.support.processes import EmulatorProcess

SHARED = "Username-Password-Authentication"
UNKNOWN_USER = "auth0|" + "0" * 24
UNKNOWN_ROLE = "rol_0000000000000000"
USER_NOT_FOUND = {"statusCode": 404, "error": "Not Found", "message": "The user does not exist.",
                  "errorCode": "inexistent_user"}
NOT_A_MEMBER = {"statusCode": 404, "error": "Not Found", "message": "The user is not a member of the organization."}


@pytest.fixture
def api(emulator: EmulatorProcess) -> Iterator[httpx.Client]:
    """Raw Management API calls on the session's emulator (status codes and bodies as they come)."""
    with httpx.Client(base_url=f"{emulator.url}/api/v2", timeout=10,
                      headers={"Authorization": f"Bearer {management_token(emulator.url)}"}) as client:
        yield client


def new_user(mgmt) -> str:
    return mgmt.users.create(connection=SHARED, password="Str0ng-pass!", verify_email=False,
                             email=f"assign-{uuid.uuid4().hex[:10]}@roles.test").user_id


def new_role(mgmt, prefix: str = "Role") -> str:
    return mgmt.roles.create(name=f"{prefix} {uuid.uuid4().hex[:8]}").id


def new_member(mgmt) -> tuple[str, str]:
    """(organization id, user id): a new organization with a new member."""
    org = mgmt.organizations.create(name=f"roles-{uuid.uuid4().hex[:8]}").id
    user_id = new_user(mgmt)
    mgmt.organizations.members.create(org, members=[user_id])
    return org, user_id


def ids(roles) -> list[str]:
    return [r.id for r in roles]


# -- a user's tenant roles ------------------------------------------------------------------------
def test_user_roles_assign_list_page_and_remove(api: httpx.Client, mgmt, sdk) -> None:
    user_id = new_user(mgmt)
    viewer, editor = demo_role_id("Viewer"), demo_role_id("Editor")
    assert mgmt.users.roles.list(user_id).items == []
    mgmt.users.roles.assign(user_id, roles=[viewer, editor])
    assert sdk[1].last.status_code == 204
    mgmt.users.roles.assign(user_id, roles=[viewer])  # held already: nothing changes
    listed = mgmt.users.roles.list(user_id, include_totals=True)
    body = sdk[1].last.json()
    assert (body["start"], body["limit"], body["total"]) == (0, 50, 2)
    assert [r.name for r in listed] == ["Editor", "Viewer"] and listed.items[0].description
    second = api.get(f"/users/{user_id}/roles", params={"page": 1, "per_page": 1}).json()
    assert [r["id"] for r in second] == [viewer]
    assert response_check("GET", f"/users/{user_id}/roles", 200, second)
    assert user_id in [u.user_id for u in mgmt.roles.users.list(editor, take=100)]
    mgmt.users.roles.delete(user_id, roles=[editor])
    assert sdk[1].last.status_code == 204
    assert ids(mgmt.users.roles.list(user_id)) == [viewer]
    mgmt.users.roles.delete(user_id, roles=[editor])  # not held: nothing to remove
    assert ids(mgmt.users.roles.list(user_id)) == [viewer]


def test_user_roles_of_an_unknown_user_or_role_are_404s(api: httpx.Client, mgmt) -> None:
    viewer = demo_role_id("Viewer")
    for method, body in (("GET", None), ("POST", {"roles": [viewer]}), ("DELETE", {"roles": [viewer]})):
        r = api.request(method, f"/users/{UNKNOWN_USER}/roles", json=body)
        assert (r.status_code, r.json()) == (404, USER_NOT_FOUND), method
    user_id = new_user(mgmt)
    for method in ("POST", "DELETE"):
        r = api.request(method, f"/users/{user_id}/roles", json={"roles": [viewer, UNKNOWN_ROLE]})
        assert r.status_code == 404, method
        assert r.json() == {"statusCode": 404, "error": "Not Found", "message": f"No such role with id: {UNKNOWN_ROLE}"}
    assert mgmt.users.roles.list(user_id).items == []  # the known role was not given either


@pytest.mark.parametrize(("body", "problem"), [
    ({}, "'Missing required property: roles'"),
    ({"roles": []}, "'Array is too short (0), minimum 1' on property roles"),
    ({"roles": "rol_x"}, "'Expected type array but found type string' on property roles"),
    ({"roles": [""]}, "'String is too short (0 chars), minimum 1' on property roles[0]"),
    ({"roles": [1]}, "'Expected type string but found type number' on property roles[0]"),
    ({"roles": ["rol_x"], "users": []}, "'Additional properties not allowed: users'"),
])
def test_user_roles_bad_bodies_are_400s(api: httpx.Client, mgmt, body: dict, problem: str) -> None:
    user_id = new_user(mgmt)
    for method in ("POST", "DELETE"):
        r = api.request(method, f"/users/{user_id}/roles", json=body)
        assert r.status_code == 400, (method, r.text)
        assert r.json()["errorCode"] == "invalid_body"
        assert r.json()["message"].startswith(f"Payload validation error: {problem}"), r.json()["message"]


def test_user_roles_from_a_form(api: httpx.Client, mgmt) -> None:
    user_id = new_user(mgmt)
    viewer, editor = demo_role_id("Viewer"), demo_role_id("Editor")
    assert api.post(f"/users/{user_id}/roles", data={"roles": [viewer, editor]}).status_code == 204
    assert api.request("DELETE", f"/users/{user_id}/roles", data={"roles": viewer}).status_code == 204
    assert ids(mgmt.users.roles.list(user_id)) == [editor]
    created = api.post("/roles", data={"name": f"Form {uuid.uuid4().hex[:8]}", "description": "From a form"})
    assert created.status_code == 200 and created.json()["description"] == "From a form"


# -- an organization member's roles ---------------------------------------------------------------
def test_member_roles_are_apart_from_tenant_roles(api: httpx.Client, mgmt, sdk) -> None:
    org, user_id = new_member(mgmt)
    viewer, editor, billing = (demo_role_id(n) for n in ("Viewer", "Editor", "Billing admin"))
    mgmt.users.roles.assign(user_id, roles=[viewer])
    mgmt.organizations.members.roles.assign(org, user_id, roles=[editor, billing])
    assert sdk[1].last.status_code == 204
    listed = mgmt.organizations.members.roles.list(org, user_id, include_totals=True)
    body = sdk[1].last.json()
    assert (body["start"], body["limit"], body["total"]) == (0, 50, 2)
    assert [r.name for r in listed] == ["Billing admin", "Editor"]
    assert ids(mgmt.users.roles.list(user_id)) == [viewer]  # the tenant roles are the user's own
    assert user_id not in [u.user_id for u in mgmt.roles.users.list(editor, take=100)]
    # The same member in another organization holds nothing there.
    other = mgmt.organizations.create(name=f"roles-{uuid.uuid4().hex[:8]}").id
    mgmt.organizations.members.create(other, members=[user_id])
    assert mgmt.organizations.members.roles.list(other, user_id).items == []
    bare = api.get(f"/organizations/{org}/members/{user_id}/roles", params={"page": 1, "per_page": 1}).json()
    assert [r["id"] for r in bare] == [editor]
    assert response_check("GET", f"/organizations/{org}/members/{user_id}/roles", 200, bare)
    mgmt.organizations.members.roles.delete(org, user_id, roles=[billing])
    assert ids(mgmt.organizations.members.roles.list(org, user_id)) == [editor]
    assert ids(mgmt.users.roles.list(user_id)) == [viewer]


def test_member_roles_need_a_member_a_known_organization_and_known_roles(api: httpx.Client, mgmt) -> None:
    org, member = new_member(mgmt)
    outsider = new_user(mgmt)
    editor = demo_role_id("Editor")
    for user_id in (outsider, UNKNOWN_USER):
        for method, body in (("GET", None), ("POST", {"roles": [editor]}), ("DELETE", {"roles": [editor]})):
            r = api.request(method, f"/organizations/{org}/members/{user_id}/roles", json=body)
            assert (r.status_code, r.json()) == (404, NOT_A_MEMBER), (user_id, method)
    r = api.get(f"/organizations/org_0000000000000000/members/{member}/roles")
    assert r.status_code == 404 and r.json()["message"] == "No organization found by that id or name"
    with pytest.raises(ApiError) as err:  # the spec lists no 404 here: the SDK's plain ApiError
        mgmt.organizations.members.roles.assign(org, member, roles=[UNKNOWN_ROLE])
    assert err.value.status_code == 404 and err.value.body["message"] == f"No such role with id: {UNKNOWN_ROLE}"
    for body, problem in (({"roles": []}, "'Array is too short (0), minimum 1' on property roles"),
                          ({"roles": ["editor"]}, "'Object didn't pass validation for format role-id: editor' "
                                                  "on property roles[0]")):
        r = api.post(f"/organizations/{org}/members/{member}/roles", json=body)
        assert r.status_code == 400 and r.json()["message"].startswith(f"Payload validation error: {problem}")
    r = api.get(f"/organizations/{org}/members/{member}/roles", params={"page": 1001})
    assert r.status_code == 400 and r.json()["errorCode"] == "invalid_query_string"
    assert mgmt.organizations.members.roles.list(org, member).items == []


def test_a_member_holds_at_most_100_roles(mgmt) -> None:
    org, member = new_member(mgmt)
    roles = [new_role(mgmt, "Many") for _ in range(101)]
    mgmt.organizations.members.roles.assign(org, member, roles=roles[:100])
    mgmt.organizations.members.roles.assign(org, member, roles=roles[:3])  # held already: still 100
    with pytest.raises(ConflictError) as err:
        mgmt.organizations.members.roles.assign(org, member, roles=[roles[100]])
    assert err.value.body == {"statusCode": 409, "error": "Conflict",
                              "message": "No more roles can be assigned to this organization member."}
    assert len(list(mgmt.organizations.members.roles.list(org, member, per_page=100))) == 100
    for role in roles:
        mgmt.roles.delete(role)


# -- what ends an assignment ----------------------------------------------------------------------
def test_deleting_a_role_takes_it_from_users_and_members(mgmt) -> None:
    org, member = new_member(mgmt)
    role, kept = new_role(mgmt), demo_role_id("Viewer")
    mgmt.users.roles.assign(member, roles=[role, kept])
    mgmt.organizations.members.roles.assign(org, member, roles=[role, kept])
    mgmt.roles.delete(role)
    assert ids(mgmt.users.roles.list(member)) == [kept]
    assert ids(mgmt.organizations.members.roles.list(org, member)) == [kept]
    recreated = mgmt.roles.create(name=f"Again {uuid.uuid4().hex[:8]}")
    assert list(mgmt.roles.users.list(recreated.id)) == []


def test_deleting_a_user_ends_their_roles(api: httpx.Client, mgmt) -> None:
    org, member = new_member(mgmt)
    role = new_role(mgmt)
    mgmt.users.roles.assign(member, roles=[role])
    mgmt.organizations.members.roles.assign(org, member, roles=[role])
    mgmt.users.delete(member)
    assert list(mgmt.roles.users.list(role)) == []
    r = api.get(f"/organizations/{org}/members/{member}/roles")
    assert (r.status_code, r.json()) == (404, NOT_A_MEMBER)


def test_ending_a_membership_ends_the_member_roles_there_only(mgmt) -> None:
    org, member = new_member(mgmt)
    other = mgmt.organizations.create(name=f"roles-{uuid.uuid4().hex[:8]}").id
    mgmt.organizations.members.create(other, members=[member])
    editor, viewer = demo_role_id("Editor"), demo_role_id("Viewer")
    mgmt.users.roles.assign(member, roles=[viewer])
    mgmt.organizations.members.roles.assign(org, member, roles=[editor])
    mgmt.organizations.members.roles.assign(other, member, roles=[editor])
    mgmt.organizations.members.delete(org, members=[member])
    mgmt.organizations.members.create(org, members=[member])  # back again: without the old roles
    assert mgmt.organizations.members.roles.list(org, member).items == []
    assert ids(mgmt.organizations.members.roles.list(other, member)) == [editor]
    assert ids(mgmt.users.roles.list(member)) == [viewer]


# -- rate limits ----------------------------------------------------------------------------------
def test_each_call_counts_against_its_rate_limit_group(emulator: EmulatorProcess, api: httpx.Client, mgmt) -> None:
    org, member = new_member(mgmt)
    editor = demo_role_id("Editor")

    def served() -> dict[str, int]:
        groups = httpx.get(f"{emulator.url}/emulator/stats").json()["groups"]
        return {group: counts["served"] for group, counts in groups.items()}

    calls = [
        ("other", "GET", "/roles", None),
        ("other", "GET", f"/roles/{editor}/users", None),
        ("read_users", "GET", f"/users/{member}/roles", None),
        ("write_users", "POST", f"/users/{member}/roles", {"roles": [editor]}),
        ("org_members_read", "GET", f"/organizations/{org}/members/{member}/roles", None),
        ("org_members_write", "POST", f"/organizations/{org}/members/{member}/roles", {"roles": [editor]}),
    ]
    for group, method, path, body in calls:
        before = served()
        r = api.request(method, path, json=body)
        assert r.status_code in (200, 204), r.text
        assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(r.headers)
        after = served()
        changed = {g for g in after if after[g] != before.get(g, 0)}
        assert changed == {group}, (method, path, changed)
