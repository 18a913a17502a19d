"""``/api/v2/jobs``: verification emails and users exports (gzip'd NDJSON or CSV over plain HTTP).

An export runs as a task on the event loop, a few thousand users at a time with a yield between
batches, streaming rows into a gzip file beside the data file; ``GET /jobs/{id}`` shows it pending,
then completed with a ``location`` that needs no token (Auth0 hands out a pre-signed URL).
"""

from __future__ import annotations

import asyncio
import csv
import gzip
import json
import logging
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from ..directory.connections import connection_get
from ..directory.formats import now_iso, random_id
from ..directory.jobs import job_get, job_put
from ..directory.users import user_get
from ..errors import Auth0Error
from ..tenant import Tenant
from .apilog import api_write
from .auth import require
from .common import check_type, ok, payload_invalid, request_body, tenant_of
from .users.users import user_not_found, verification_email_send

log = logging.getLogger("auth0_emulator.jobs")
JOB_ID = re.compile(r"^job_[A-Za-z0-9]{16}$")
EXPORT_BATCH = 500
DEFAULT_EXPORT_FIELDS = [
    "user_id",
    "email",
    "email_verified",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "picture",
    "created_at",
    "updated_at",
    "last_login",
    "last_ip",
    "logins_count",
    "blocked",
    "identities",
    "user_metadata",
    "app_metadata",
]


def exports_dir(tenant: Tenant) -> Path:
    data_file = tenant.config.data_file
    if data_file == ":memory:":
        base = Path(tenant.extensions.setdefault("exports_tmp", tempfile.mkdtemp(prefix="auth0-exports-")))
    else:
        base = Path(data_file).with_name(Path(data_file).name + ".exports")
    base.mkdir(parents=True, exist_ok=True)
    return base


# -- verification email -------------------------------------------------------------------------
@api_write("Send a verification email")
async def verification_email(request: Request) -> Response:
    require(request, "update:users")
    tenant = tenant_of(request)
    body = await request_body(
        request, allowed=("user_id", "client_id", "identity", "organization_id"), required=("user_id",)
    )
    for name in ("user_id", "client_id", "organization_id"):
        check_type(body, name, str)
    user = user_get(tenant, body["user_id"])
    if user is None:
        raise user_not_found()
    if not user.get("email"):
        raise Auth0Error(400, "The user does not have an email address.", "invalid_body")
    verification_email_send(
        tenant, user, client_id=body.get("client_id"), organization_id=body.get("organization_id")
    )
    job = job_put(
        tenant,
        {
            "id": random_id("job_"),
            "type": "verification_email",
            "status": "completed",
            "created_at": now_iso(),
        },
    )
    return ok(job, 201)


# -- users export -------------------------------------------------------------------------------
def _path_value(user: dict, path: str) -> Any:
    value: Any = user
    for part in path.split("."):
        match = re.fullmatch(r"(\w+)\[(\d+)\]", part)
        key, idx = (match.group(1), int(match.group(2))) if match else (part, None)
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
        if idx is not None:
            value = value[idx] if isinstance(value, list) and idx < len(value) else None
    return value


@api_write("Create a users export job")
async def users_export(request: Request) -> Response:
    require(request, "read:users")
    tenant = tenant_of(request)
    body = await request_body(request, allowed=("connection_id", "format", "limit", "fields"))
    check_type(body, "connection_id", str)
    check_type(body, "format", str)
    check_type(body, "limit", int)
    check_type(body, "fields", list)
    fmt = body.get("format") or "csv"
    if fmt not in ("json", "csv"):
        raise payload_invalid(
            f'No enum match for: "{fmt}"', "format", "Format of the file. Must be `json` or `csv`."
        )
    connection = None
    if body.get("connection_id"):
        connection = connection_get(tenant, body["connection_id"])
        if connection is None:
            raise Auth0Error(400, "The connection does not exist", "inexistent_connection")
    fields = []
    for item in body.get("fields") or []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise payload_invalid("Missing required property: name", "fields")
        fields.append(
            {"name": item["name"], **({"export_as": item["export_as"]} if item.get("export_as") else {})}
        )
    job: dict[str, Any] = {
        "id": random_id("job_"),
        "type": "users_export",
        "status": "pending",
        "created_at": now_iso(),
        "connection": connection["name"] if connection else "",
        "format": fmt,
    }
    if connection:
        job["connection_id"] = connection["id"]
    if body.get("limit"):
        job["limit"] = body["limit"]
    if fields:
        job["fields"] = fields
    job_put(tenant, job)
    task = asyncio.get_running_loop().create_task(_export_run(tenant, dict(job)))
    # Keep a reference so the task is not collected before it finishes.
    tasks: set = tenant.extensions.setdefault("export_tasks", set())
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return ok(job, 200)


async def _export_run(tenant: Tenant, job: dict) -> None:
    token = secrets.token_urlsafe(16)
    suffix = "json" if job["format"] == "json" else "csv"
    path = exports_dir(tenant) / f"{job['id']}-{token}.{suffix}.gz"
    fields = job.get("fields") or [{"name": n} for n in DEFAULT_EXPORT_FIELDS]
    limit = job.get("limit")
    try:
        job["status"] = "processing"
        job_put(tenant, job)
        written = 0
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=5, newline="") as out:
            writer = None
            if job["format"] == "csv":
                writer = csv.writer(out)
                writer.writerow([f.get("export_as") or f["name"] for f in fields])
            last_rowid = 0
            while True:
                sql = "SELECT rowid, data FROM users WHERE rowid > ?"
                params: tuple = (last_rowid,)
                if job.get("connection"):
                    sql += " AND connection = ?"
                    params += (job["connection"],)
                rows = tenant.store.all(sql + f" ORDER BY rowid LIMIT {EXPORT_BATCH}", params)
                for row in rows:
                    user = json.loads(row["data"])
                    record = {f.get("export_as") or f["name"]: _path_value(user, f["name"]) for f in fields}
                    if writer is None:
                        out.write(
                            json.dumps(
                                {k: v for k, v in record.items() if v is not None}, separators=(",", ":")
                            )
                            + "\n"
                        )
                    else:
                        writer.writerow([_csv_cell(v) for v in record.values()])
                    written += 1
                    if limit and written >= limit:
                        break
                if not rows or len(rows) < EXPORT_BATCH or (limit and written >= limit):
                    break
                last_rowid = rows[-1]["rowid"]
                await asyncio.sleep(0)  # let requests through between batches
        job.update(
            {
                "status": "completed",
                "location": f"{tenant.config.public_url.rstrip('/')}/emulator-exports/{path.name}",
            }
        )
    except Exception:
        log.exception("users export %s failed", job["id"])
        job.update({"status": "failed", "status_details": "The export failed."})
    job_put(tenant, job)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


async def export_download(request: Request) -> Response:
    name = request.path_params["name"]
    if not re.fullmatch(r"job_[A-Za-z0-9]{16}-[A-Za-z0-9_-]+\.(json|csv)\.gz", name):
        raise Auth0Error(404, "Not Found", None)
    path = exports_dir(tenant_of(request)) / name
    if not path.is_file():
        raise Auth0Error(404, "Not Found", None)
    return FileResponse(path, media_type="application/gzip", filename=name)


async def jobs_get(request: Request) -> Response:
    require(request, "create:users", "read:users")
    job_id = request.path_params["id"]
    if not JOB_ID.match(job_id):
        raise Auth0Error(
            400,
            f"Path validation error: 'String does not match pattern ^job_[A-Za-z0-9]{{16}}$: "
            f"{job_id}' on property id (ID of the job).",
            "invalid_uri",
        )
    job = job_get(tenant_of(request), job_id)
    if job is None:
        raise Auth0Error(404, "The job does not exist", "inexistent_job")
    return ok(job)


def routes(tenant: Tenant) -> list[BaseRoute]:
    return [
        Route("/api/v2/jobs/verification-email", verification_email, methods=["POST"]),
        Route("/api/v2/jobs/users-exports", users_export, methods=["POST"]),
        Route("/api/v2/jobs/{id}", jobs_get, methods=["GET"]),
        Route("/emulator-exports/{name}", export_download, methods=["GET"]),
    ]
