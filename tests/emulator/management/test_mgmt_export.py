"""The users-export job as a mirror's full sync uses it: every field the mirror stores comes out as
``GET /users/{id}`` has it, every user exactly once, and memory stays flat however many users there are."""

from __future__ import annotations

import asyncio
import gzip
import json
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from auth0_emulator.config import EmulatorConfig
from auth0_emulator.directory.formats import random_id
from auth0_emulator.directory.jobs import job_get
from auth0_emulator.directory.users import user_get, user_update
from auth0_emulator.management import jobs
from auth0_emulator.seed import tenant_seed
from auth0_emulator.tenant import Tenant

MIRROR_FIELDS = [
    "user_id", "email", "email_verified", "name", "given_name", "family_name", "nickname", "picture",
    "identities", "blocked", "logins_count", "last_login", "last_ip", "created_at", "updated_at",
    "user_metadata", "app_metadata",
]


def synthetic(users: int, tmp_path: Path) -> Tenant:
    config = EmulatorConfig(data_file=str(tmp_path / "tenant.sqlite3"), seed="synthetic", synthetic_users=users,
                            synthetic_orgs=3)
    tenant = Tenant(config)
    tenant_seed(tenant)
    return tenant


def job_run(tenant: Tenant, job: dict) -> None:
    """Run one export job to its end on a thread of its own, as the emulator's event loop would: the
    session's Playwright browser keeps an event loop running on the test's thread."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, jobs._export_run(tenant, job)).result()


def export(tenant: Tenant, **job: object) -> list[dict]:
    """Run one export job to its end (as the emulator's event loop would) and read its file."""
    record = {"id": random_id("job_"), "type": "users_export", "status": "pending", "format": "json",
              "connection": "", **job}
    job_run(tenant, record)
    done = job_get(tenant, record["id"])
    assert done["status"] == "completed", done
    path = jobs.exports_dir(tenant) / done["location"].rsplit("/", 1)[1]
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_rows_carry_every_mirror_field_as_the_api_shows_it(tmp_path: Path) -> None:
    tenant = synthetic(40, tmp_path)
    blocked = "auth0|" + f"{5:024x}"
    user_update(tenant, blocked, {"blocked": True, "app_metadata": {"plan": "gold"}})
    rows = export(tenant, fields=[{"name": name} for name in MIRROR_FIELDS])
    assert [row["user_id"] for row in rows] == ["auth0|" + f"{i:024x}" for i in range(40)]
    for row in rows:
        user = user_get(tenant, row["user_id"])
        # A field the user has is there with the same value; one the user lacks is left out.
        assert row == {name: user[name] for name in MIRROR_FIELDS if name in user}
    logged_in = rows[8]
    assert {"last_login", "last_ip", "logins_count"} <= set(logged_in)
    assert rows[5]["blocked"] is True and rows[5]["app_metadata"] == {"plan": "gold"}


def test_default_fields_include_what_a_mirror_needs(tmp_path: Path) -> None:
    tenant = synthetic(12, tmp_path)
    row = export(tenant)[8]
    assert set(MIRROR_FIELDS) - {"blocked", "app_metadata"} <= set(row)


def _export_peak(tenant: Tenant) -> int:
    """Peak memory allocated while one export of every user runs."""
    job = {"id": random_id("job_"), "type": "users_export", "status": "pending", "format": "json",
           "connection": ""}
    tracemalloc.start()
    try:
        job_run(tenant, job)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_export_memory_does_not_grow_with_the_tenant(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(jobs, "EXPORT_BATCH", 200)
    small_peak = _export_peak(synthetic(1200, tmp_path / "small"))
    large_peak = _export_peak(synthetic(6000, tmp_path / "large"))
    # Five times the users through the same batches: the peak stays where it was.
    assert large_peak < small_peak * 1.3, (small_peak, large_peak)
