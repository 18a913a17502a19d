"""Connections and Organizations (members, enabled connections, invitations) through the official SDK."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest
from auth0.management.errors import BadRequestError, ConflictError, ForbiddenError, NotFoundError

from tests.support.openapi import management_token
from tests.support.processes import EmulatorProcess

GLOBEX_ORG_ID = "org_" + hashlib.sha1(b"globex").hexdigest()[:16]  # noqa: S324 - the demo seed's id


def test_connections_list_get_filters(mgmt) -> None:
    listed = mgmt.connections.list(strategy=["auth0"]).items
    names = [c.name for c in listed]
    assert "Username-Password-Authentication" in names and "acme-users" in names
    acme = mgmt.connections.list(name="acme-users").items
    assert [c.name for c in acme] == ["acme-users"]
    got = mgmt.connections.get(acme[0].id)
    assert got.name == "acme-users" and got.strategy == "auth0" and got.enabled_clients
    with pytest.raises(NotFoundError):
        mgmt.connections.get("con_0000000000000000")


def test_connection_create_rules(mgmt) -> None:
    name = f"tenant-{uuid.uuid4().hex[:8]}"
    created = mgmt.connections.create(name=name, strategy="auth0",
                                      options={"passwordPolicy": "low", "requires_username": False},
                                      enabled_clients=["portal-web-dev"])
    assert created.name == name and created.id.startswith("con_") and created.options["passwordPolicy"] == "low"
    with pytest.raises(ConflictError) as err:
        mgmt.connections.create(name=name, strategy="auth0")
    assert err.value.body["statusCode"] == 409
    for bad in ("-leading", "trailing-", "under_score", "double--dash", "x" * 129):
        with pytest.raises(BadRequestError) as err:
            mgmt.connections.create(name=bad, strategy="auth0")
        assert err.value.body["errorCode"] == "invalid_body", bad
    # The connection's password policy applies to users created in it.
    user = mgmt.users.create(connection=name, email=f"low-{uuid.uuid4().hex[:6]}@x.test", password="abcdef",
                             verify_email=False)
    assert user.identities[0].connection == name


def test_organizations_crud(mgmt) -> None:
    name = f"org-{uuid.uuid4().hex[:8]}"
    created = mgmt.organizations.create(name=name, display_name="Test Org", metadata={"tier": "gold"})
    assert created.id.startswith("org_") and created.name == name
    assert mgmt.organizations.get(created.id).display_name == "Test Org"
    assert mgmt.organizations.get_by_name(name).id == created.id
    updated = mgmt.organizations.update(created.id, display_name="Renamed")
    assert updated.display_name == "Renamed"
    assert name in [o.name for o in mgmt.organizations.list(take=100)]
    with pytest.raises(ConflictError):
        mgmt.organizations.create(name=name)
    with pytest.raises(BadRequestError):
        mgmt.organizations.create(name="Not A Valid Name")
    with pytest.raises(NotFoundError):
        mgmt.organizations.get("org_doesnotexist0000")
    # The portal's client is not granted delete:organizations.
    with pytest.raises(ForbiddenError) as err:
        mgmt.organizations.delete(created.id)
    assert err.value.body["message"] == "Insufficient scope, expected any of: delete:organizations"


def test_members_paging_add_remove(mgmt, sdk) -> None:
    first = mgmt.organizations.members.list(GLOBEX_ORG_ID, take=10)
    body = sdk[1].last.json()
    assert len(body["members"]) == 10 and body["next"] == body["members"][-1]["user_id"]
    everyone = [m.user_id for m in first]  # the pager follows ``next``
    assert len(everyone) == 33 and len(set(everyone)) == 33  # its 32 people and the consultant
    assert sdk[1].validated > 0
    user = mgmt.users.create(connection="Username-Password-Authentication",
                             email=f"member-{uuid.uuid4().hex[:8]}@globex.test", password="Str0ng-pass!",
                             verify_email=False)
    mgmt.organizations.members.create(GLOBEX_ORG_ID, members=[user.user_id])
    assert [o.id for o in mgmt.users.organizations.list(user.user_id).items] == [GLOBEX_ORG_ID]
    searched = mgmt.users.list(q=f'organization_id:"{GLOBEX_ORG_ID}" AND user_id:"{user.user_id}"').items
    assert [u.user_id for u in searched] == [user.user_id]
    mgmt.organizations.members.delete(GLOBEX_ORG_ID, members=[user.user_id])
    assert mgmt.users.organizations.list(user.user_id).items == []
    with pytest.raises(BadRequestError):
        mgmt.organizations.members.create(GLOBEX_ORG_ID, members=["auth0|" + "0" * 24])


def test_members_offset_paging(emulator: EmulatorProcess) -> None:
    headers = {"Authorization": f"Bearer {management_token(emulator.url)}"}
    r = httpx.get(f"{emulator.url}/api/v2/organizations/{GLOBEX_ORG_ID}/members",
                  params={"page": 1, "per_page": 5, "include_totals": "true"}, headers=headers)
    assert r.status_code == 200
    body = r.json()
    assert body["start"] == 5 and body["limit"] == 5 and body["total"] >= 32 and len(body["members"]) == 5


def test_invitations(emulator: EmulatorProcess, mgmt) -> None:
    email = f"invitee-{uuid.uuid4().hex[:8]}@globex.test"
    created = mgmt.organizations.invitations.create(GLOBEX_ORG_ID, inviter={"name": "Globex admin"},
                                                    invitee={"email": email}, client_id="portal-web-dev",
                                                    ttl_sec=3600)
    assert created.id.startswith("uinv_") and "invitation=" in created.invitation_url
    assert f"organization={GLOBEX_ORG_ID}" in created.invitation_url
    assert mgmt.organizations.invitations.get(GLOBEX_ORG_ID, created.id).invitee.email == email
    listed = [i.id for i in mgmt.organizations.invitations.list(GLOBEX_ORG_ID, per_page=100).items]
    assert created.id in listed
    messages = httpx.get(f"{emulator.url}/emulator/outbox", params={"to": email}).json()
    assert messages and messages[0]["links"] == [created.invitation_url]
    mgmt.organizations.invitations.delete(GLOBEX_ORG_ID, created.id)
    with pytest.raises(NotFoundError):
        mgmt.organizations.invitations.get(GLOBEX_ORG_ID, created.id)


def test_invitations_need_an_application_login_route(mgmt) -> None:
    # The tool client has no initiate_login_uri: Auth0 cannot build an invitation link for it.
    with pytest.raises(BadRequestError) as excinfo:
        mgmt.organizations.invitations.create(GLOBEX_ORG_ID, inviter={"name": "Globex admin"},
                                              invitee={"email": "nobody@globex.test"}, client_id="portal-tool-dev")
    assert excinfo.value.body["message"] == "A default login route is required to generate the invitation url."
