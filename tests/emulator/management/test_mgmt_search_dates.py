"""Searching users by ``updated_at`` (a mirror's delta sync): date ranges with inclusive and exclusive
ends, ``*`` open ends, bare days and offsets, ``sort=updated_at:1``, the total capped at 1,000 as Auth0
reports it, and writes that reach search only after the configured search lag."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from auth0_emulator.config import EmulatorConfig
from auth0_emulator.directory.formats import user_id_for_email
from auth0_emulator.directory.users import user_update
from auth0_emulator.management.users.search import users_index
from auth0_emulator.seed import tenant_seed
from auth0_emulator.tenant import Tenant
from tests.support.openapi import management_token, response_check
from tests.support.processes import EmulatorProcess

STAMPS = {
    "user01@acme.test": "2025-01-01T00:00:00.000Z",
    "user02@acme.test": "2025-01-01T12:30:00.000Z",
    "user03@acme.test": "2025-01-02T00:00:00.000Z",
    "user04@acme.test": "2025-01-02T00:00:00.001Z",
}


@pytest.fixture
def tenant() -> Tenant:
    t = Tenant(EmulatorConfig(data_file=":memory:", seed="demo"))
    tenant_seed(t)
    for email, stamp in STAMPS.items():
        user_update(t, user_id_for_email(email), {"updated_at": stamp})
    return t


def found(tenant: Tenant, q: str, sort: str | None = "updated_at:1") -> list[str]:
    index = users_index(tenant)
    emails = [index.entries[uid].doc()["email"] for uid in index.search(q, sort)]
    return [e for e in emails if e in STAMPS]


@pytest.mark.parametrize(("q", "expected"), [
    ("updated_at:[2025-01-01T00:00:00.000Z TO 2025-01-02T00:00:00.000Z]", ["user01", "user02", "user03"]),
    ("updated_at:{2025-01-01T00:00:00.000Z TO 2025-01-02T00:00:00.000Z}", ["user02"]),
    ("updated_at:[2025-01-01T00:00:00.000Z TO 2025-01-02T00:00:00.000Z}", ["user01", "user02"]),
    ("updated_at:{2025-01-01T00:00:00.000Z TO *]", ["user02", "user03", "user04"]),
    ("updated_at:[* TO 2025-01-01T12:30:00.000Z]", ["user01", "user02"]),
    # A bare day is its midnight UTC; other ISO-8601 spellings are the same instant (Lucene needs a
    # '+' quoted).
    ("updated_at:[2025-01-01 TO 2025-01-02]", ["user01", "user02", "user03"]),
    ('updated_at:["2025-01-01T13:30:00+01:00" TO 2025-01-01T12:30:00Z]', ["user02"]),
    ('updated_at:["2025-01-02T00:00:00Z" TO *]', ["user03", "user04"]),
])
def test_updated_at_ranges(tenant: Tenant, q: str, expected: list[str]) -> None:
    assert found(tenant, q) == [f"{local}@acme.test" for local in expected]


def test_sort_by_updated_at_both_ways(tenant: Tenant) -> None:
    q = "updated_at:[2025-01-01 TO 2025-01-03]"
    assert found(tenant, q, "updated_at:1") == list(STAMPS)
    assert found(tenant, q, "updated_at:-1") == list(reversed(STAMPS))


# -- over HTTP, on a tenant larger than what search can list ---------------------------------------
@pytest.fixture(scope="module")
def big(emulator_factory) -> EmulatorProcess:
    return emulator_factory("--seed", "synthetic", "--users", "2500", "--orgs", "3", "--test-controls",
                            "--no-rate-limits")


def search(emu: EmulatorProcess, q: str, **params: object) -> dict:
    headers = {"Authorization": f"Bearer {management_token(emu.url)}"}
    r = httpx.get(f"{emu.url}/api/v2/users", headers=headers, timeout=30,
                  params={"q": q, "sort": "updated_at:1", "include_totals": "true", **params})
    assert r.status_code == 200, r.text
    assert response_check("GET", "/users", 200, r.json())
    return r.json()


def test_total_is_capped_and_pages_follow_updated_at(big: EmulatorProcess) -> None:
    first = search(big, "updated_at:[* TO *]", per_page=100)
    assert first["total"] == 1000 and first["length"] == 100
    second = search(big, "updated_at:[* TO *]", per_page=100, page=1)
    stamps = [u["updated_at"] for u in first["users"] + second["users"]]
    assert stamps == sorted(stamps)
    window = search(big, "updated_at:[2024-01-01T01:00:00.000Z TO 2024-01-01T02:00:00.000Z}", per_page=100)
    assert 0 < window["total"] < 1000
    assert all("2024-01-01T01:00:00.000Z" <= u["updated_at"] < "2024-01-01T02:00:00.000Z" for u in window["users"])


def test_a_change_reaches_the_range_after_the_search_lag(big: EmulatorProcess) -> None:
    token = management_token(big.url)
    headers = {"Authorization": f"Bearer {token}"}
    httpx.post(f"{big.url}/emulator/controls", json={"search_lag_seconds": 0.5}).raise_for_status()
    try:
        since = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        user_id = "auth0|" + f"{7:024x}"
        r = httpx.patch(f"{big.url}/api/v2/users/{user_id}", json={"given_name": "Lagged"}, headers=headers)
        assert r.status_code == 200 and r.json()["updated_at"] >= since
        q = f"updated_at:[{since} TO *]"
        assert search(big, q)["total"] == 0  # not yet in search...
        assert httpx.get(f"{big.url}/api/v2/users/{user_id}", headers=headers).json()["given_name"] == "Lagged"
        deadline = time.monotonic() + 5
        while (body := search(big, q))["total"] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [u["user_id"] for u in body["users"]] == [user_id]  # ...then there, once the lag passed
    finally:
        httpx.post(f"{big.url}/emulator/controls", json={"search_lag_seconds": 0}).raise_for_status()
