"""auth0_gateway's role calls against the session's emulator process, over HTTP through the SDK: what
they return is the JSON the emulator serves, listings follow every page, Auth0's errors come back as
the gateway's, and each call spends the shared budget of its Auth0 limit group."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import httpx
import pytest

from auth0_emulator.seed import DEMO_ROLES, demo_role_id
from auth0_gateway import Auth0Conflict, Auth0Gateway, Auth0NotFound, Auth0Permanent, Auth0RateLimited
from portal.ratelimit import Limit, RateLimiter
from tests.contract.test_gateway import (
    SHARED,
    STRONG_PASSWORD,
    RecordingTransport,
    gateway_for,
    raw_get,
    unique_email,
)
from tests.support.budget import IsolatedRedisStore
from tests.support.processes import EmulatorProcess

UNKNOWN_ROLE = "rol_0000000000000000"


@pytest.fixture(scope="module")
def emu(emulator: EmulatorProcess) -> EmulatorProcess:
    """The session's demo tenant: these tests make roles, users and organizations of their own and
    change none of the demo's."""
    return emulator


@pytest.fixture(scope="module")
def gw(emu: EmulatorProcess) -> Iterator[Auth0Gateway]:
    with contextlib.closing(gateway_for(emu)) as gateway:
        yield gateway


def new_user(gw: Auth0Gateway) -> str:
    return gw.user_create(connection=SHARED, email=unique_email("roles"), password=STRONG_PASSWORD)["user_id"]


def new_member(gw: Auth0Gateway) -> tuple[str, str]:
    org = gw.organization_create(name=f"gw{uuid.uuid4().hex[:8]}")["id"]
    user_id = new_user(gw)
    gw.organization_members_add(organization_id=org, user_ids=[user_id])
    return org, user_id


def ids(roles: list[dict]) -> list[str]:
    return [r["id"] for r in roles]


def test_roles_are_the_json_auth0_sent_and_the_demo_has_its_own(emu, gw):
    roles = gw.roles_list()
    assert roles == raw_get(emu, "roles", per_page=100).json()
    assert {(r["id"], r["name"], r["description"]) for r in roles} >= {
        (demo_role_id(name), name, description) for name, description in DEMO_ROLES}
    assert gw.role_get(role_id=demo_role_id("Editor")) == raw_get(emu, f"roles/{demo_role_id('Editor')}").json()


def test_role_create_update_delete(gw):
    name = f"Gateway {uuid.uuid4().hex[:8]}"
    created = gw.role_create(name=name, description="Made by the gateway")
    assert created["id"].startswith("rol_") and created["name"] == name
    assert gw.role_get(role_id=created["id"]) == created
    assert gw.role_update(role_id=created["id"], description="Changed") == {**created, "description": "Changed"}
    assert gw.role_update(role_id=created["id"], name=name + "!")["description"] == "Changed"
    bare = gw.role_create(name=f"Bare {uuid.uuid4().hex[:8]}")
    assert set(bare) == {"id", "name"}
    with pytest.raises(Auth0Conflict) as err:
        gw.role_create(name=name + "!")
    assert err.value.message == "The role already exists." and err.value.status == 409
    with pytest.raises(Auth0Conflict):
        gw.role_update(role_id=bare["id"], name=name + "!")
    with pytest.raises(Auth0Permanent) as bad:
        gw.role_create(name="")
    assert bad.value.status == 400 and bad.value.error_code == "invalid_body"
    gw.role_delete(role_id=created["id"])
    gw.role_delete(role_id=bare["id"])
    for call in (lambda: gw.role_get(role_id=created["id"]), lambda: gw.role_delete(role_id=created["id"]),
                 lambda: gw.role_update(role_id=created["id"], name="x")):
        with pytest.raises(Auth0NotFound) as err:
            call()
        assert err.value.message == "The role does not exist."


def test_roles_list_follows_every_page_and_filters(gw):
    tag = uuid.uuid4().hex[:8]
    made = [gw.role_create(name=f"Many {tag} {i:03d}")["id"] for i in range(105)]
    assert ids(gw.roles_list(name_filter=f"many {tag}")) == made
    assert ids(gw.roles_list(name_filter=f"Many {tag} 10")) == made[100:]
    for role_id in made:
        gw.role_delete(role_id=role_id)
    assert gw.roles_list(name_filter=tag) == []


def test_role_users_assign_and_page_by_checkpoint(emu, gw):
    role = gw.role_create(name=f"Holders {uuid.uuid4().hex[:8]}")["id"]
    users = sorted(new_user(gw) for _ in range(5))
    gw.role_users_assign(role_id=role, user_ids=users[:3])
    gw.user_roles_assign(user_id=users[3], role_ids=[role])
    gw.user_roles_assign(user_id=users[4], role_ids=[role])
    first = gw.role_users_page(role_id=role, take=2)
    assert [u["user_id"] for u in first.users] == users[:2] and first.next
    second = gw.role_users_page(role_id=role, from_=first.next, take=2)
    assert [u["user_id"] for u in second.users] == users[2:4]
    everyone = list(gw.role_users(role_id=role, take=2))
    assert [u["user_id"] for u in everyone] == users
    assert everyone == raw_get(emu, f"roles/{role}/users", take=100).json()["users"]
    assert set(everyone[0]) == {"user_id", "email", "name", "picture"}
    with pytest.raises(Auth0NotFound):
        gw.role_users_page(role_id=UNKNOWN_ROLE)
    with pytest.raises(Auth0NotFound) as err:
        gw.role_users_assign(role_id=role, user_ids=["auth0|" + "0" * 24])
    assert err.value.message == "One or more of the users do not exist."


def test_user_roles_assign_list_and_remove(emu, gw):
    user_id = new_user(gw)
    viewer, editor = demo_role_id("Viewer"), demo_role_id("Editor")
    assert gw.user_roles(user_id=user_id) == []
    gw.user_roles_assign(user_id=user_id, role_ids=[viewer, editor])
    roles = gw.user_roles(user_id=user_id)
    assert [r["name"] for r in roles] == ["Editor", "Viewer"]
    assert roles == raw_get(emu, f"users/{user_id}/roles").json()
    gw.user_roles_remove(user_id=user_id, role_ids=[viewer])
    assert ids(gw.user_roles(user_id=user_id)) == [editor]
    for call in (lambda: gw.user_roles(user_id="auth0|" + "0" * 24),
                 lambda: gw.user_roles_assign(user_id="auth0|" + "0" * 24, role_ids=[viewer])):
        with pytest.raises(Auth0NotFound) as err:
            call()
        assert err.value.error_code == "inexistent_user"
    with pytest.raises(Auth0NotFound) as err:
        gw.user_roles_assign(user_id=user_id, role_ids=[UNKNOWN_ROLE])
    assert err.value.message == f"No such role with id: {UNKNOWN_ROLE}"
    with pytest.raises(Auth0Permanent) as bad:
        gw.user_roles_assign(user_id=user_id, role_ids=[])
    assert bad.value.status == 400


def test_organization_member_roles_apart_from_tenant_roles(emu, gw):
    org, member = new_member(gw)
    editor, billing, viewer = (demo_role_id(n) for n in ("Editor", "Billing admin", "Viewer"))
    gw.user_roles_assign(user_id=member, role_ids=[viewer])
    gw.organization_member_roles_assign(organization_id=org, user_id=member, role_ids=[editor, billing])
    roles = gw.organization_member_roles(organization_id=org, user_id=member)
    assert [r["name"] for r in roles] == ["Billing admin", "Editor"]
    assert roles == raw_get(emu, f"organizations/{org}/members/{member}/roles").json()
    assert ids(gw.user_roles(user_id=member)) == [viewer]
    gw.organization_member_roles_remove(organization_id=org, user_id=member, role_ids=[billing])
    assert ids(gw.organization_member_roles(organization_id=org, user_id=member)) == [editor]
    gw.organization_members_remove(organization_id=org, user_ids=[member])
    with pytest.raises(Auth0NotFound) as err:
        gw.organization_member_roles(organization_id=org, user_id=member)
    assert err.value.message == "The user is not a member of the organization."
    with pytest.raises(Auth0NotFound):
        gw.organization_member_roles_assign(organization_id=org, user_id=member, role_ids=[editor])
    with pytest.raises(Auth0NotFound):
        gw.organization_member_roles(organization_id="org_0000000000000000", user_id=member)
    with pytest.raises(Auth0Permanent) as bad:
        gw.organization_member_roles_assign(organization_id=org, user_id=member, role_ids=["editor"])
    assert bad.value.status == 400


def test_each_role_call_spends_its_groups_budget(emu, gw):
    org, member = new_member(gw)
    editor = demo_role_id("Editor")
    gw.organization_member_roles_assign(organization_id=org, user_id=member, role_ids=[editor])
    store = IsolatedRedisStore()
    groups = ("other", "read_users", "write_users", "org_members_read", "org_members_write")
    limiter = RateLimiter(store, {group: Limit(burst=1, per_minute=1) for group in groups})
    transport = RecordingTransport()
    budgeted = Auth0Gateway(base_url=emu.url, domain=emu.domain, client_id="portal-m2m-dev",
                            client_secret="portal-m2m-dev-secret", limiter=limiter,
                            httpx_client=httpx.Client(transport=transport, timeout=10))
    try:
        calls = [
            ("All other endpoints", lambda: budgeted.role_get(role_id=editor)),
            ("Read Users", lambda: budgeted.user_roles(user_id=member)),
            ("Write Users", lambda: budgeted.user_roles_assign(user_id=member, role_ids=[editor])),
            ("Organization members (read)",
             lambda: budgeted.organization_member_roles(organization_id=org, user_id=member)),
            ("Organization members (write)",
             lambda: budgeted.organization_member_roles_remove(organization_id=org, user_id=member,
                                                               role_ids=[editor])),
        ]
        for label, call in calls:
            call()  # the group's only token
            sent = len(transport.api_requests())
            with pytest.raises(Auth0RateLimited) as refused:
                call()
            assert refused.value.by_budget and label in refused.value.message
            assert len(transport.api_requests()) == sent  # the refused call never left
    finally:
        budgeted.close()
        store.clear()
