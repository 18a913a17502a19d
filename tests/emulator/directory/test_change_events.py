"""Which writes of the data layer (auth0_emulator.directory) announce an event, on an in-memory demo
tenant with a recorder in place of the delivery machinery: every change to a user or to a membership
does, once; a login's counters and writes that change nothing do not."""

from __future__ import annotations

import pytest

from auth0_emulator.config import EmulatorConfig
from auth0_emulator.directory.formats import user_id_for_email
from auth0_emulator.directory.logs import log_event_record
from auth0_emulator.directory.organizations import (
    organization_get_by_name,
    organization_members_add,
    organization_members_remove,
)
from auth0_emulator.directory.roles import (
    organization_member_roles_add,
    organization_member_roles_remove,
    role_delete,
    role_put,
)
from auth0_emulator.directory.users import (
    user_build,
    user_delete,
    user_insert,
    user_login_record,
    user_password_set,
    user_update,
)
from auth0_emulator.seed import SHARED_CONNECTION, tenant_seed
from auth0_emulator.tenant import Tenant


@pytest.fixture
def tenant() -> Tenant:
    t = Tenant(EmulatorConfig(data_file=":memory:", seed="demo"))
    tenant_seed(t)
    return t


@pytest.fixture
def announced(tenant: Tenant) -> list[tuple[str, dict]]:
    events: list[tuple[str, dict]] = []
    tenant.extensions["events_publish"] = lambda event_type, obj: events.append((event_type, obj))
    return events


def test_user_lifecycle(tenant: Tenant, announced: list) -> None:
    user = user_build(connection=SHARED_CONNECTION, email="life@cycle.test")
    user_insert(tenant, user, password="Str0ng-pass!")
    user_update(tenant, user["user_id"], {"user_metadata": {"a": 1}})
    user_password_set(tenant, user["user_id"], "An0ther-pass!")
    user_login_record(tenant, user["user_id"], "10.0.0.9")
    user_delete(tenant, user["user_id"])
    user_delete(tenant, user["user_id"])  # already gone: nothing more
    assert [t for t, _ in announced] == ["user.created", "user.updated", "user.updated", "user.deleted"]
    assert announced[0][1] == user
    assert announced[1][1]["user_metadata"] == {"a": 1}
    assert "last_password_reset" in announced[2][1]
    deleted = announced[3][1]
    assert deleted["logins_count"] == 1 and deleted["deleted_at"] >= deleted["updated_at"]


def test_a_password_change_with_more_changes_is_one_event(tenant: Tenant, announced: list) -> None:
    uid = user_id_for_email("user01@globex.test")
    user_password_set(tenant, uid, "An0ther-pass!", publish=False)
    user_update(tenant, uid, {"email_verified": True})
    assert [t for t, _ in announced] == ["user.updated"]
    assert "last_password_reset" in announced[0][1] and announced[0][1]["email_verified"] is True


def test_memberships_announce_only_real_changes(tenant: Tenant, announced: list) -> None:
    globex = organization_get_by_name(tenant, "globex")
    member = user_id_for_email("user01@globex.test")
    outsider = user_id_for_email("user01@acme.test")
    organization_members_add(tenant, globex["id"], [member, outsider, outsider])
    organization_members_remove(tenant, globex["id"], [outsider, user_id_for_email("x@y.z")])
    expected = {"organization": {"id": globex["id"], "name": "globex"}, "user": {"user_id": outsider}}
    assert announced == [("organization.member.added", expected), ("organization.member.deleted", expected)]


def test_member_roles_announce_only_real_changes_and_ends_by_deletion_nothing(
    tenant: Tenant, announced: list
) -> None:
    globex = organization_get_by_name(tenant, "globex")
    member = user_id_for_email("user02@globex.test")
    role = role_put(tenant, {"id": "rol_" + "a" * 16, "name": "Auditor"})
    organization_member_roles_add(tenant, globex["id"], member, [role["id"], role["id"]])
    organization_member_roles_add(tenant, globex["id"], member, [role["id"]])
    organization_member_roles_remove(tenant, globex["id"], member, [role["id"], role["id"]])
    expected = {"organization": {"id": globex["id"]}, "user": {"user_id": member},
                "role": {"id": role["id"], "name": "Auditor"}}
    assert announced == [("organization.member.role.assigned", expected),
                         ("organization.member.role.deleted", expected)]
    organization_member_roles_add(tenant, globex["id"], member, [role["id"]])
    announced.clear()
    role_delete(tenant, role["id"])  # the member loses it, and nothing is announced for that
    assert announced == []


def test_every_log_event_is_announced(tenant: Tenant) -> None:
    calls: list[int] = []
    tenant.extensions["logs_appended"] = lambda: calls.append(1)
    log_event_record(tenant, type="s", user_id="auth0|x")
    log_event_record(tenant, type="fp", user_id="auth0|x")
    assert len(calls) == 2
