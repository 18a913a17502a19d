"""The synthetic tenant (``--seed synthetic``) that benchmarks run against: how users spread over the
organizations, the big organization option, and memory that stays flat as the tenant grows."""

from __future__ import annotations

import tracemalloc

import pytest

from auth0_emulator import seed
from auth0_emulator.__main__ import parse_args
from auth0_emulator.config import EmulatorConfig
from auth0_emulator.directory.organizations import organization_connection_names, organization_get_by_name
from auth0_emulator.directory.users import user_get
from auth0_emulator.management.users.search import users_index
from auth0_emulator.tenant import Tenant


def synthetic(users: int, orgs: int, big: int = 0) -> Tenant:
    tenant = Tenant(EmulatorConfig(data_file=":memory:", seed="synthetic", synthetic_users=users,
                                   synthetic_orgs=orgs, synthetic_big_org_users=big))
    seed.tenant_seed(tenant)
    return tenant


def count(tenant: Tenant, sql: str, *params: object) -> int:
    return tenant.store.one(sql, params)[0]


def test_big_organization_is_an_isolated_connection_holding_exactly_n_users() -> None:
    tenant = synthetic(2000, 7, big=600)
    assert count(tenant, "SELECT COUNT(*) FROM users") == 2000
    assert count(tenant, "SELECT COUNT(*) FROM users WHERE connection = 'org0000-users'") == 600
    assert count(tenant, "SELECT COUNT(*) FROM users WHERE email_lower LIKE '%@org0000.example'") == 600
    # The other organizations share the rest; none comes near the big one.
    per_org = [count(tenant, "SELECT COUNT(*) FROM users WHERE email_lower LIKE ?", f"%@org{i:04d}.example")
               for i in range(1, 7)]
    assert sum(per_org) + count(tenant, "SELECT COUNT(*) FROM users WHERE email_lower LIKE '%@none.example'") == 1400
    assert max(per_org) - min(per_org) <= 1 and max(per_org) < 600


def test_every_membership_mode_is_present() -> None:
    tenant = synthetic(300, 3)
    index = users_index(tenant)
    isolated = index.search('identities.connection:"org0000-users"', None)
    shared = index.search('app_metadata.organizations:"org0001"', None)
    org = organization_get_by_name(tenant, "org0002")
    members = index.search(f'organization_id:"{org["id"]}"', None)
    assert isolated and shared and members
    assert not set(isolated) & set(shared) and not set(shared) & set(members)
    assert organization_connection_names(tenant, org["id"]) == [seed.SHARED_CONNECTION]


def test_without_a_big_organization_users_go_round_robin_as_before() -> None:
    tenant = synthetic(600, 3)
    # 600 users over 3 organizations: 200 rounds, of which every twentieth belongs to no organization.
    assert count(tenant, "SELECT COUNT(*) FROM users WHERE connection = 'org0000-users'") == 190
    assert count(tenant, "SELECT COUNT(*) FROM users WHERE email_lower LIKE '%@none.example'") == 30


def test_users_carry_what_a_mirror_reads() -> None:
    tenant = synthetic(12, 3)
    logged_in = user_get(tenant, "auth0|" + f"{8:024x}")
    assert {"last_login", "last_ip", "logins_count"} <= set(logged_in)
    assert logged_in["updated_at"] >= logged_in["last_login"] > logged_in["created_at"]
    changed = user_get(tenant, "auth0|" + f"{3:024x}")
    assert changed["updated_at"] > changed["created_at"]


def _seed_peak(users: int) -> int:
    tenant = Tenant(EmulatorConfig(data_file=":memory:", seed="empty"))
    tracemalloc.start()
    try:
        seed.synthetic_seed(tenant, users=users, orgs=4)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_generation_memory_does_not_grow_with_the_number_of_users(monkeypatch) -> None:
    monkeypatch.setattr(seed, "SYNTHETIC_BATCH", 250)
    small, large = _seed_peak(1000), _seed_peak(5000)
    # Five times the users, the same batches: the peak stays where it was.
    assert large < small * 1.3, (small, large)


def test_command_line_option_and_its_checks() -> None:
    config = parse_args(["--seed", "synthetic", "--users", "100000", "--orgs", "100", "--big-org-users", "30000"])
    assert (config.synthetic_users, config.synthetic_orgs, config.synthetic_big_org_users) == (100000, 100, 30000)
    for bad in (["--users", "10", "--big-org-users", "11"], ["--orgs", "0", "--big-org-users", "1"]):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_a_fifth_of_the_big_organizations_users_hold_a_role_and_a_third_of_everyone_another() -> None:
    """The demo's roles; one held by every fifth user of org0000 (what bench/directory.py filters by), another by
    every third user of any organization."""
    tenant = synthetic(2000, 7, big=600)
    assert count(tenant, "SELECT COUNT(*) FROM roles") == len(seed.DEMO_ROLES)
    editor, viewer = seed.demo_role_id(seed.SYNTHETIC_HELD_ROLE), seed.demo_role_id(seed.SYNTHETIC_COMMON_ROLE)
    assert count(tenant, "SELECT COUNT(*) FROM user_roles WHERE role_id = ?", editor) == 120
    assert count(tenant, "SELECT COUNT(*) FROM user_roles ur JOIN users u ON u.user_id = ur.user_id "
                         "WHERE ur.role_id = ? AND u.connection = 'org0000-users'", editor) == 120
    assert count(tenant, "SELECT COUNT(*) FROM user_roles WHERE role_id = ?", viewer) == 667
