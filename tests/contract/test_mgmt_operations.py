"""User blocks, tickets, jobs (verification email, users export) and logs through the official SDK."""

from __future__ import annotations

import gzip
import json
import time
import uuid

import httpx
import pytest
from auth0.management.errors import BadRequestError, NotFoundError

from tests.support.authn_browser import Browser
from tests.support.openapi import management_token
from tests.support.processes import EmulatorProcess


def new_user(mgmt, prefix: str) -> object:
    return mgmt.users.create(connection="Username-Password-Authentication",
                             email=f"{prefix}-{uuid.uuid4().hex[:8]}@portal.test", password="Str0ng-pass!",
                             verify_email=False)


def outbox(emulator: EmulatorProcess, to: str) -> list[dict]:
    r = httpx.get(f"{emulator.url}/emulator/outbox", params={"to": to})
    assert r.status_code == 200
    return r.json()


def test_user_blocks_follow_failed_logins(emulator: EmulatorProcess, mgmt) -> None:
    user = new_user(mgmt, "blocked")
    assert mgmt.user_blocks.list(user.user_id).blocked_for == []
    with Browser(emulator) as browser:
        for _ in range(10):
            browser.login(user.email, "wrong-password")
    blocks = mgmt.user_blocks.list(user.user_id).blocked_for
    assert [(b.identifier, b.connection) for b in blocks] == [(user.email, "Username-Password-Authentication")]
    assert [b.identifier for b in mgmt.user_blocks.list_by_identifier(identifier=user.email).blocked_for] == [
        user.email]
    mgmt.user_blocks.delete(user.user_id)
    assert mgmt.user_blocks.list(user.user_id).blocked_for == []
    with pytest.raises(NotFoundError):
        mgmt.user_blocks.list("auth0|" + "0" * 24)


def test_password_change_ticket(emulator: EmulatorProcess, mgmt) -> None:
    user = new_user(mgmt, "ticket")
    by_id = mgmt.tickets.change_password(user_id=user.user_id, result_url="http://localhost:8000/done")
    assert by_id.ticket.startswith(f"{emulator.url}/u/reset-password?ticket=")
    connection = mgmt.connections.list(name="Username-Password-Authentication").items[0]
    by_email = mgmt.tickets.change_password(connection_id=connection.id, email=user.email)
    assert by_email.ticket != by_id.ticket
    with pytest.raises(BadRequestError):
        mgmt.tickets.change_password(user_id=user.user_id, email=user.email, connection_id=connection.id)
    with pytest.raises(NotFoundError):
        mgmt.tickets.change_password(user_id="auth0|" + "0" * 24)
    page = httpx.get(by_id.ticket)
    assert page.status_code == 200


def test_email_verification_ticket_and_job(emulator: EmulatorProcess, mgmt) -> None:
    user = new_user(mgmt, "verify")
    ticket = mgmt.tickets.verify_email(user_id=user.user_id)
    assert ticket.ticket.startswith(f"{emulator.url}/u/email-verification?ticket=")
    assert outbox(emulator, user.email) == []
    job = mgmt.jobs.verification_email.create(user_id=user.user_id)
    assert job.type == "verification_email" and job.id.startswith("job_")
    messages = outbox(emulator, user.email)
    assert len(messages) == 1 and messages[0]["links"][0].startswith(f"{emulator.url}/u/email-verification?")
    assert mgmt.jobs.get(job.id).status == "completed"


def test_users_export_is_gzipped_ndjson(emulator: EmulatorProcess, mgmt) -> None:
    connection = mgmt.connections.list(name="acme-users").items[0]
    job = mgmt.jobs.users_exports.create(connection_id=connection.id, format="json",
                                         fields=[{"name": "user_id"}, {"name": "email"},
                                                 {"name": "user_metadata.department", "export_as": "dept"}])
    deadline = time.monotonic() + 30
    status = mgmt.jobs.get(job.id)
    while status.status != "completed" and time.monotonic() < deadline:
        time.sleep(0.1)
        status = mgmt.jobs.get(job.id)
    assert status.status == "completed" and status.location
    download = httpx.get(status.location)
    assert download.status_code == 200
    rows = [json.loads(line) for line in gzip.decompress(download.content).decode().splitlines()]
    expected = mgmt.users.list(q='identities.connection:"acme-users"', per_page=0, include_totals=True)
    assert len(rows) == expected.response.total
    assert {r["email"].split("@")[1] for r in rows} == {"acme.test"}
    assert any(r.get("dept") for r in rows) and all(set(r) <= {"user_id", "email", "dept"} for r in rows)


def test_logs_record_management_writes(mgmt) -> None:
    user = new_user(mgmt, "logs")
    mgmt.users.update(user.user_id, user_metadata={"k": "v"})
    with pytest.raises(BadRequestError):
        mgmt.users.update(user.user_id, password="x", email="y@portal.test")
    events = mgmt.users.logs.list(user.user_id, sort="date:1").items
    assert [e.type for e in events] == ["ss", "sapi", "sapi", "fapi"]
    assert events[0].user_id == user.user_id and events[3].description == "Update a User"
    newest = mgmt.users.logs.list(user.user_id, per_page=1).items
    assert newest[0].type == "fapi"
    found = mgmt.logs.list(search=f'type:"ss" AND user_id:"{user.user_id}"').items
    assert [e.user_id for e in found] == [user.user_id]
    assert mgmt.logs.get(found[0].log_id).type == "ss"


def test_logs_checkpoint_paging(emulator: EmulatorProcess) -> None:
    headers = {"Authorization": f"Bearer {management_token(emulator.url)}"}
    first = httpx.get(f"{emulator.url}/api/v2/logs", params={"take": 3}, headers=headers).json()
    assert len(first) == 3
    after = httpx.get(f"{emulator.url}/api/v2/logs", params={"from": first[0]["log_id"], "take": 2},
                      headers=headers).json()
    assert [e["log_id"] for e in after] == [e["log_id"] for e in first[1:3]]
