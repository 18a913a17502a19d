"""The shared data layer (auth0_emulator.directory) on an in-memory demo tenant."""

from __future__ import annotations

import pytest

from auth0_emulator.config import EmulatorConfig
from auth0_emulator.directory.brute_force import (
    login_blocked,
    login_blocks_list,
    login_failure_record,
    login_failures_clear,
)
from auth0_emulator.directory.formats import user_id_for_email
from auth0_emulator.directory.organizations import (
    organization_connection_names,
    organization_get_by_name,
    organization_member_check,
)
from auth0_emulator.directory.outbox import outbox_list, outbox_send
from auth0_emulator.directory.passwords import password_policy_check
from auth0_emulator.directory.tickets import ticket_consume, ticket_create, ticket_get
from auth0_emulator.directory.users import (
    user_build,
    user_find_by_email,
    user_get,
    user_insert,
    user_login_record,
    user_organizations,
    user_password_check,
    user_password_set,
    user_update,
)
from auth0_emulator.errors import Auth0Error
from auth0_emulator.seed import ACME_CONNECTION, DEMO_PASSWORD, SHARED_CONNECTION, tenant_seed
from auth0_emulator.tenant import Tenant


@pytest.fixture
def tenant() -> Tenant:
    t = Tenant(EmulatorConfig(data_file=":memory:", seed="demo"))
    tenant_seed(t)
    return t


def test_demo_users_have_deterministic_ids_and_the_demo_password(tenant: Tenant) -> None:
    user = user_find_by_email(tenant, ACME_CONNECTION, "Admin@Acme.test")
    assert user is not None
    assert user["user_id"] == user_id_for_email("admin@acme.test")
    assert len(user["user_id"].split("|")[1]) == 24
    assert user_password_check(tenant, user["user_id"], DEMO_PASSWORD)
    assert not user_password_check(tenant, user["user_id"], DEMO_PASSWORD + "x")
    assert user_find_by_email(tenant, SHARED_CONNECTION, "admin@acme.test") is None


def test_demo_memberships_follow_the_three_modes(tenant: Tenant) -> None:
    initech = user_find_by_email(tenant, SHARED_CONNECTION, "user07@initech.test")
    assert initech["app_metadata"] == {"organizations": ["initech"]}
    globex = organization_get_by_name(tenant, "globex")
    member = user_id_for_email("viewer@globex.test")
    assert organization_member_check(tenant, globex["id"], member)
    assert [o["name"] for o in user_organizations(tenant, member)] == ["globex"]
    assert organization_connection_names(tenant, globex["id"]) == [SHARED_CONNECTION]
    assert not organization_member_check(tenant, globex["id"], initech["user_id"])
    count = tenant.store.one("SELECT COUNT(*) AS n FROM users")["n"]
    assert count == 1 + 3 * 32 + 1 + 1  # the company admin, the organizations' people, the consultant, the end user


def test_password_set_update_and_login_record(tenant: Tenant) -> None:
    uid = user_id_for_email("user01@acme.test")
    user_password_set(tenant, uid, "N3w-password!")
    assert user_password_check(tenant, uid, "N3w-password!")
    assert "last_password_reset" in user_get(tenant, uid)
    user_login_record(tenant, uid, "10.0.0.1")
    user_login_record(tenant, uid, "10.0.0.2")
    user = user_get(tenant, uid)
    assert user["logins_count"] == 2 and user["last_ip"] == "10.0.0.2"
    updated = user_update(tenant, uid, {"email_verified": False, "given_name": None})
    assert updated["email_verified"] is False and "given_name" not in updated


def test_duplicate_user_is_auth0s_409(tenant: Tenant) -> None:
    user = user_build(connection=ACME_CONNECTION, email="ADMIN@acme.test")
    with pytest.raises(Auth0Error) as err:
        user_insert(tenant, user, password="Whatever-123")
    assert err.value.body() == {"statusCode": 409, "error": "Conflict", "message": "The user already exists.",
                                "errorCode": "auth0_idp_error"}


@pytest.mark.parametrize(("policy", "password", "ok"), [
    ("none", "a", True),
    ("low", "abcde", False),
    ("low", "abcdef", True),
    ("fair", "abcdefgh", False),
    ("fair", "abcdefG1", True),
    ("good", "abcdefgh1", False),
    ("good", "abcdefg!1", True),
    ("excellent", "Abcdefg!1", False),
    ("excellent", "Abcdefg!12", True),
    ("excellent", "Abbbcdefg!12", False),
])
def test_password_policies(policy: str, password: str, ok: bool) -> None:
    message = password_policy_check({"options": {"passwordPolicy": policy}}, password)
    assert (message is None) is ok
    if not ok:
        assert message == "PasswordStrengthError: Password is too weak"


def test_min_length_overrides_the_policy_length() -> None:
    connection = {"options": {"passwordPolicy": "low", "password_complexity_options": {"min_length": 12}}}
    assert password_policy_check(connection, "abcdefghijk") is not None
    assert password_policy_check(connection, "abcdefghijkl") is None


def test_tickets_are_single_use_urls(tenant: Tenant) -> None:
    uid = user_id_for_email("user02@acme.test")
    url = ticket_create(tenant, kind="password_change", user_id=uid, result_url="http://x/")
    assert url.startswith(f"{tenant.config.public_url}/u/reset-password?ticket=")
    ticket_id = url.split("ticket=")[1]
    ticket = ticket_get(tenant, ticket_id)
    assert ticket["user_id"] == uid and ticket["used_at"] is None and ticket["result_url"] == "http://x/"
    ticket_consume(tenant, ticket_id)
    assert ticket_get(tenant, ticket_id)["used_at"] is not None


def test_brute_force_blocks_on_the_tenth_failure(tenant: Tenant) -> None:
    results = [login_failure_record(tenant, identifier="A@acme.test", ip="1.1.1.1",
                                              connection=ACME_CONNECTION) for _ in range(11)]
    assert results == [False] * 9 + [True, False]
    assert login_blocked(tenant, identifier="a@acme.test", ip="1.1.1.1")
    assert not login_blocked(tenant, identifier="a@acme.test", ip="2.2.2.2")
    assert login_blocks_list(tenant, ["a@ACME.test"]) == [
        {"identifier": "a@acme.test", "ip": "1.1.1.1", "connection": ACME_CONNECTION}]
    login_failures_clear(tenant, identifier="a@acme.test")
    assert not login_blocked(tenant, identifier="a@acme.test", ip="1.1.1.1")


def test_outbox_is_newest_first_and_filters_case_insensitively(tenant: Tenant) -> None:
    outbox_send(tenant, to="a@x.test", kind="verify_email", subject="1", text="t", links=["l1"])
    outbox_send(tenant, to="b@x.test", kind="verify_email", subject="2", text="t", links=[])
    outbox_send(tenant, to="A@x.test", kind="reset_password", subject="3", text="t", links=[])
    assert [m["subject"] for m in outbox_list(tenant, to="a@X.test")] == ["3", "1"]
    assert len(outbox_list(tenant)) == 3
