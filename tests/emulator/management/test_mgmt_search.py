"""The users search index and its Lucene subset, on an in-memory demo tenant."""

from __future__ import annotations

import dataclasses

import pytest

from auth0_emulator.config import EmulatorConfig
from auth0_emulator.directory.formats import user_id_for_email
from auth0_emulator.directory.organizations import organization_get_by_name, organization_members_add
from auth0_emulator.directory.users import (
    user_build,
    user_delete,
    user_get,
    user_insert,
    user_login_record,
    user_update,
)
from auth0_emulator.errors import Auth0Error
from auth0_emulator.management.users.search import users_index
from auth0_emulator.seed import ACME_CONNECTION, tenant_seed
from auth0_emulator.tenant import Tenant


@pytest.fixture
def tenant() -> Tenant:
    t = Tenant(EmulatorConfig(data_file=":memory:", seed="demo"))
    tenant_seed(t)
    return t


def emails(tenant: Tenant, q: str, sort: str | None = None) -> list[str]:
    index = users_index(tenant)
    return [index.entries[uid].doc()["email"] for uid in index.search(q, sort)]


def test_fields_phrases_and_case_rules(tenant: Tenant) -> None:
    assert emails(tenant, 'email:"ADMIN@acme.test"') == ["admin@acme.test"]
    assert emails(tenant, "email:admin@acme.test") == ["admin@acme.test"]
    casey = emails(tenant, 'name:"casey morgan"')
    assert casey == ["admin@portal.test"]
    # Metadata is case-sensitive.
    assert len(emails(tenant, 'user_metadata.job_title:"Auditor"')) == 3
    assert emails(tenant, 'user_metadata.job_title:"auditor"') == []


def test_boolean_operators_groups_and_not(tenant: Tenant) -> None:
    both = emails(tenant, 'email:"admin@acme.test" OR email:"admin@initech.test"')
    assert sorted(both) == ["admin@acme.test", "admin@initech.test"]
    assert emails(tenant, 'email:"admin@acme.test" AND email:"admin@initech.test"') == []
    acme_not_admin = emails(tenant, f'identities.connection:"{ACME_CONNECTION}" AND NOT email:admin*')
    assert len(acme_not_admin) == 31 and "admin@acme.test" not in acme_not_admin
    grouped = emails(tenant, '(email.domain:"acme.test" OR email.domain:"globex.test") AND email:viewer*')
    assert sorted(grouped) == ["viewer@acme.test", "viewer@globex.test"]
    assert len(emails(tenant, '-email.domain:"acme.test"')) == DEMO_USERS - 32


# The company admin, 32 people in each of three organizations, the consultant in two, the end user.
DEMO_USERS = 1 + 3 * 32 + 1 + 1


def test_wildcards(tenant: Tenant) -> None:
    assert len(emails(tenant, "email:user0*")) == 27  # user01..user09 in three orgs
    assert sorted(emails(tenant, "email:*@portal.test")) == ["admin@portal.test", "enduser@portal.test"]
    assert len(emails(tenant, "email:user1?@acme.test".replace("?", "*"))) == 10
    for bad in ("email:*st", "email:a*b", "email:user?1", "user_metadata.job_title:Aud*"):
        with pytest.raises(Auth0Error) as err:
            emails(tenant, bad)
        assert err.value.status == 400, bad


def test_ranges_with_open_ends(tenant: Tenant) -> None:
    everyone = emails(tenant, "created_at:[* TO *]")
    assert len(everyone) == DEMO_USERS
    early = emails(tenant, "created_at:[* TO 2025-01-10}")
    assert early and all(e in everyone for e in early) and len(early) < 10
    uid = user_id_for_email("user05@acme.test")
    for _ in range(3):
        user_login_record(tenant, uid, "10.1.2.3")
    assert emails(tenant, "logins_count:[2 TO *]") == ["user05@acme.test"]
    assert emails(tenant, "logins_count:{3 TO *]") == []
    assert emails(tenant, 'last_ip:"10.1.2.3"') == ["user05@acme.test"]
    with pytest.raises(Auth0Error):
        emails(tenant, "user_metadata.phone:[a TO z]")


def test_nested_paths_arrays_org_id_and_blocked(tenant: Tenant) -> None:
    uid = user_id_for_email("user07@acme.test")
    user_update(tenant, uid, {"app_metadata": {"plan": {"tier": "gold"}, "tags": ["a", "b"]},
                                        "blocked": True})
    assert emails(tenant, 'app_metadata.plan.tier:"gold"') == ["user07@acme.test"]
    assert emails(tenant, 'app_metadata.tags:"b"') == ["user07@acme.test"]
    assert emails(tenant, "blocked:true") == ["user07@acme.test"]
    globex = organization_get_by_name(tenant, "globex")
    assert len(emails(tenant, f'organization_id:"{globex["id"]}"')) == 33  # its 32 and the consultant
    organization_members_add(tenant, globex["id"], [uid])
    assert "user07@acme.test" in emails(tenant, f'organization_id:"{globex["id"]}"')


def test_bare_terms_do_not_match_metadata(tenant: Tenant) -> None:
    assert emails(tenant, '"Casey Morgan"') == ["admin@portal.test"]
    assert emails(tenant, "Auditor") == []


def test_sorting_and_default_order(tenant: Tenant) -> None:
    by_email = emails(tenant, 'identities.connection:"acme-users"', "email:1")
    assert by_email == sorted(by_email)
    newest = emails(tenant, None, "created_at:-1")
    assert newest[0] == "enduser@portal.test" and newest[-1] == "admin@portal.test"
    assert emails(tenant, None)[0] == "admin@portal.test"


def test_syntax_errors_are_400(tenant: Tenant) -> None:
    for bad in ("email:(", 'name:"open', "AND"):
        with pytest.raises(Auth0Error) as err:
            emails(tenant, bad)
        assert err.value.status == 400 and err.value.error_code == "invalid_query_string"


def test_search_lag_delays_writes_but_not_reads(tenant: Tenant) -> None:
    index = users_index(tenant)
    tenant.config = dataclasses.replace(tenant.config, search_lag_seconds=3600)
    user = user_build(connection=ACME_CONNECTION, email="late@acme.test")
    user_insert(tenant, user, password="Str0ng-pass!")
    assert user_get(tenant, user["user_id"]) is not None
    assert emails(tenant, 'email:"late@acme.test"') == []
    # Once the lag has passed (forced here), the write shows up.
    index.pending = type(index.pending)((0.0, uid) for _, uid in index.pending)
    assert emails(tenant, 'email:"late@acme.test"') == ["late@acme.test"]
    user_delete(tenant, user["user_id"])
    assert emails(tenant, 'email:"late@acme.test"') == ["late@acme.test"]
    index.pending = type(index.pending)((0.0, uid) for _, uid in index.pending)
    assert emails(tenant, 'email:"late@acme.test"') == []
