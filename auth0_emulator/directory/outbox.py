"""The outbox: every email Auth0 itself would have sent (verification, password reset, invitation)."""

from __future__ import annotations

import json
import secrets

from ..tenant import Tenant
from .formats import now_iso


def outbox_send(tenant: Tenant, *, to: str, kind: str, subject: str, text: str, links: list[str]) -> dict:
    """Record an email Auth0 itself would have sent (verification, password reset, invitation)."""
    message = {
        "id": secrets.token_hex(8),
        "to": to,
        "kind": kind,
        "subject": subject,
        "text": text,
        "links": list(links),
        "created_at": now_iso(),
    }
    tenant.store.execute(
        "INSERT INTO outbox(id, to_addr, kind, data) VALUES (?, ?, ?, ?)",
        (message["id"], to.lower(), kind, json.dumps(message)),
    )
    return message


def outbox_list(tenant: Tenant, *, to: str | None = None) -> list[dict]:
    if to is None:
        rows = tenant.store.all("SELECT data FROM outbox ORDER BY seq DESC")
    else:
        rows = tenant.store.all("SELECT data FROM outbox WHERE to_addr = ? ORDER BY seq DESC", (to.lower(),))
    return [json.loads(r["data"]) for r in rows]
