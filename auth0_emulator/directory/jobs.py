"""Management API jobs (verification emails, users exports) as stored: one JSON document per job."""

from __future__ import annotations

import json

from ..tenant import Tenant


def job_put(tenant: Tenant, job: dict) -> dict:
    tenant.store.execute(
        "INSERT INTO jobs(id, type, status, data) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET status = excluded.status, data = excluded.data",
        (job["id"], job["type"], job["status"], json.dumps(job)),
    )
    return job


def job_get(tenant: Tenant, job_id: str) -> dict | None:
    row = tenant.store.one("SELECT data FROM jobs WHERE id = ?", (job_id,))
    return json.loads(row["data"]) if row else None
