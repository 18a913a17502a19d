"""An organization's members listed with their roles in it (``GET /organizations/{id}/members?fields=roles``),
as Auth0's spec describes: roles only when ``fields`` asks for them, only for a token that may read members'
roles, each member's own roles in that organization and not their tenant roles; the official SDK on the
session's demo emulator (every response checked against Auth0's schema), and the gateway's listing of every
member with their roles over HTTP."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import httpx
import pytest

from auth0_emulator.seed import demo_role_id
from auth0_gateway import Auth0Gateway
from tests.contract.roles.test_mgmt_roles import scoped_token
from tests.contract.test_gateway import gateway_for
from tests.support.openapi import management_token, response_check
from tests.support.processes import EmulatorProcess

SHARED = "Username-Password-Authentication"


@pytest.fixture
def api(emulator: EmulatorProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{emulator.url}/api/v2", timeout=10,
                      headers={"Authorization": f"Bearer {management_token(emulator.url)}"}) as client:
        yield client


def _organization_with_members(mgmt, count: int) -> tuple[str, list[str]]:
    org = mgmt.organizations.create(name=f"listing-{uuid.uuid4().hex[:8]}").id
    user_ids = sorted(
        mgmt.users.create(connection=SHARED, password="Str0ng-pass!", verify_email=False,
                          email=f"listed-{uuid.uuid4().hex[:10]}@roles.test").user_id for _ in range(count))
    mgmt.organizations.members.create(org, members=user_ids)
    return org, user_ids


def test_members_come_with_their_roles_in_the_organization_when_asked(api: httpx.Client, mgmt) -> None:
    org, (first, second, third) = _organization_with_members(mgmt, 3)
    viewer, editor, billing = (demo_role_id(n) for n in ("Viewer", "Editor", "Billing admin"))
    mgmt.organizations.members.roles.assign(org, first, roles=[editor, viewer])
    mgmt.organizations.members.roles.assign(org, second, roles=[billing])
    mgmt.users.roles.assign(third, roles=[editor])  # a tenant role: not a role in the organization
    listed = api.get(f"/organizations/{org}/members", params={"fields": "user_id,roles"}).json()
    assert response_check("GET", f"/organizations/{org}/members", 200, listed)
    assert listed == [
        {"user_id": first, "roles": [{"id": editor, "name": "Editor"}, {"id": viewer, "name": "Viewer"}]},
        {"user_id": second, "roles": [{"id": billing, "name": "Billing admin"}]},
        {"user_id": third, "roles": []},
    ]
    # Left out unless asked for, whatever else is asked.
    plain = api.get(f"/organizations/{org}/members").json()
    assert [m["user_id"] for m in plain] == [first, second, third] and all("roles" not in m for m in plain)
    assert all("roles" not in m for m in api.get(f"/organizations/{org}/members",
                                                 params={"fields": "roles", "include_fields": "false"}).json())


def test_paging_keeps_each_members_roles(api: httpx.Client, mgmt) -> None:
    org, user_ids = _organization_with_members(mgmt, 3)
    editor = demo_role_id("Editor")
    for user_id in user_ids:
        mgmt.organizations.members.roles.assign(org, user_id, roles=[editor])
    page = api.get(f"/organizations/{org}/members", params={"fields": "user_id,roles", "take": 2}).json()
    assert response_check("GET", f"/organizations/{org}/members", 200, page)
    rest = api.get(f"/organizations/{org}/members",
                   params={"fields": "user_id,roles", "take": 2, "from": page["next"]}).json()
    assert [m["user_id"] for m in page["members"] + rest["members"]] == user_ids
    assert all(m["roles"] == [{"id": editor, "name": "Editor"}] for m in page["members"] + rest["members"])
    totals = api.get(f"/organizations/{org}/members",
                     params={"fields": "user_id,roles", "include_totals": "true", "per_page": 1, "page": 2}).json()
    assert (totals["total"], totals["members"]) == (3, [{"user_id": user_ids[2], "roles": [{"id": editor,
                                                                                          "name": "Editor"}]}])


def test_roles_need_the_scope_to_read_members_roles(emulator: EmulatorProcess, mgmt) -> None:
    org, _ = _organization_with_members(mgmt, 1)
    path = f"{emulator.url}/api/v2/organizations/{org}/members"
    members_only = scoped_token(emulator, "read:organization_members")
    r = httpx.get(path, params={"fields": "user_id,roles"}, headers={"Authorization": f"Bearer {members_only}"})
    assert r.status_code == 403 and r.json()["errorCode"] == "insufficient_scope"
    assert httpx.get(path, headers={"Authorization": f"Bearer {members_only}"}).status_code == 200
    # Either scope lists the members (the spec: "expected any of").
    roles_only = scoped_token(emulator, "read:organization_member_roles")
    listed = httpx.get(path, params={"fields": "user_id,roles"}, headers={"Authorization": f"Bearer {roles_only}"})
    assert listed.status_code == 200 and listed.json()[0]["roles"] == []
    nothing = scoped_token(emulator, "read:users")
    assert httpx.get(path, headers={"Authorization": f"Bearer {nothing}"}).status_code == 403


def test_the_gateway_lists_every_member_with_their_roles(emulator: EmulatorProcess, mgmt) -> None:
    org, user_ids = _organization_with_members(mgmt, 3)
    billing = demo_role_id("Billing admin")
    mgmt.organizations.members.roles.assign(org, user_ids[1], roles=[billing])
    with contextlib.closing(gateway_for(emulator)) as gateway:
        gw: Auth0Gateway = gateway
        listed = list(gw.organization_members_roles(organization_id=org, take=2))
    assert listed == [{"user_id": user_ids[0], "roles": []},
                      {"user_id": user_ids[1], "roles": [{"id": billing, "name": "Billing admin"}]},
                      {"user_id": user_ids[2], "roles": []}]
