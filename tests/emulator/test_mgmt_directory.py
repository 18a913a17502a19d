"""The shared data layer (auth0_emulator.directory) on an in-memory demo tenant."""

from __future__ import annotations

import pytest

from auth0_emulator import directory
from auth0_emulator.config import EmulatorConfig
from auth0_emulator.errors import Auth0Error
from auth0_emulator.seed import ACME_CONNECTION, DEMO_PASSWORD, SHARED_CONNECTION, tenant_seed
from auth0_emulator.tenant import Tenant


@pytest.fixture
def tenant() -> Tenant:
    t = Tenant(EmulatorConfig(data_file=":memory:", seed="demo"))
    tenant_seed(t)
    return t


def test_demo_users_have_deterministic_ids_and_the_demo_password(tenant: Tenant) -> None:
    user = directory.user_find_by_email(tenant, ACME_CONNECTION, "Admin@Acme.test")
    assert user is not None
    assert user["user_id"] == directory.user_id_for_email("admin@acme.test")
    assert len(user["user_id"].split("|")[1]) == 24
    assert directory.user_password_check(tenant, user["user_id"], DEMO_PASSWORD)
    assert not directory.user_password_check(tenant, user["user_id"], DEMO_PASSWORD + "x")
    assert directory.user_find_by_email(tenant, SHARED_CONNECTION, "admin@acme.test") is None


def test_demo_memberships_follow_the_three_modes(tenant: Tenant) -> None:
    initech = directory.user_find_by_email(tenant, SHARED_CONNECTION, "user07@initech.test")
    assert initech["app_metadata"] == {"organizations": ["initech"]}
    globex = directory.organization_get_by_name(tenant, "globex")
    member = directory.user_id_for_email("viewer@globex.test")
    assert directory.organization_member_check(tenant, globex["id"], member)
    assert [o["name"] for o in directory.user_organizations(tenant, member)] == ["globex"]
    assert directory.organization_connection_names(tenant, globex["id"]) == [SHARED_CONNECTION]
    assert not directory.organization_member_check(tenant, globex["id"], initech["user_id"])
    count = tenant.store.one("SELECT COUNT(*) AS n FROM users")["n"]
    assert count == 1 + 3 * 32 + 1 + 1  # the company admin, the organizations' people, the consultant, the end user


def test_password_set_update_and_login_record(tenant: Tenant) -> None:
    uid = directory.user_id_for_email("user01@acme.test")
    directory.user_password_set(tenant, uid, "N3w-password!")
    assert directory.user_password_check(tenant, uid, "N3w-password!")
    assert "last_password_reset" in directory.user_get(tenant, uid)
    directory.user_login_record(tenant, uid, "10.0.0.1")
    directory.user_login_record(tenant, uid, "10.0.0.2")
    user = directory.user_get(tenant, uid)
    assert user["logins_count"] == 2 and user["last_ip"] == "10.0.0.2"
    updated = directory.user_update(tenant, uid, {"email_verified": False, "given_name": None})
    assert updated["email_verified"] is False and "given_name" not in updated


def test_duplicate_user_is_auth0s_409(tenant: Tenant) -> None:
    user = directory.user_build(connection=ACME_CONNECTION, email="ADMIN@acme.test")
    with pytest.raises(Auth0Error) as err:
        directory.user_insert(tenant, user, password="Whatever-123")
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
    message = directory.password_policy_check({"options": {"passwordPolicy": policy}}, password)
    assert (message is None) is ok
    if not ok:
        assert message == "PasswordStrengthError: Password is too weak"


def test_min_length_overrides_the_policy_length() -> None:
    connection = {"options": {"passwordPolicy": "low", "password_complexity_options": {"min_length": 12}}}
    assert directory.password_policy_check(connection, "abcdefghijk") is not None
    assert directory.password_policy_check(connection, "abcdefghijkl") is None


def test_tickets_are_single_use_urls(tenant: Tenant) -> None:
    uid = directory.user_id_for_email("user02@acme.test")
    url = directory.ticket_create(tenant, kind="password_change", user_id=uid, result_url="http://x/")
    assert url.startswith(f"{tenant.config.public_url}/u/reset-password?ticket=")
    ticket_id = url.split("ticket=")[1]
    ticket = directory.ticket_get(tenant, ticket_id)
    assert ticket["user_id"] == uid and ticket["used_at"] is None and ticket["result_url"] == "http://x/"
    directory.ticket_consume(tenant, ticket_id)
    assert directory.ticket_get(tenant, ticket_id)["used_at"] is not None


def test_brute_force_blocks_on_the_tenth_failure(tenant: Tenant) -> None:
    results = [directory.login_failure_record(tenant, identifier="A@acme.test", ip="1.1.1.1",
                                              connection=ACME_CONNECTION) for _ in range(11)]
    assert results == [False] * 9 + [True, False]
    assert directory.login_blocked(tenant, identifier="a@acme.test", ip="1.1.1.1")
    assert not directory.login_blocked(tenant, identifier="a@acme.test", ip="2.2.2.2")
    assert directory.login_blocks_list(tenant, ["a@ACME.test"]) == [
        {"identifier": "a@acme.test", "ip": "1.1.1.1", "connection": ACME_CONNECTION}]
    directory.login_failures_clear(tenant, identifier="a@acme.test")
    assert not directory.login_blocked(tenant, identifier="a@acme.test", ip="1.1.1.1")


def test_outbox_is_newest_first_and_filters_case_insensitively(tenant: Tenant) -> None:
    directory.outbox_send(tenant, to="a@x.test", kind="verify_email", subject="1", text="t", links=["l1"])
    directory.outbox_send(tenant, to="b@x.test", kind="verify_email", subject="2", text="t", links=[])
    directory.outbox_send(tenant, to="A@x.test", kind="reset_password", subject="3", text="t", links=[])
    assert [m["subject"] for m in directory.outbox_list(tenant, to="a@X.test")] == ["3", "1"]
    assert len(directory.outbox_list(tenant)) == 3
