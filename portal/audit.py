"""Recording administrative acts in the portal's own, append-only audit trail."""

from __future__ import annotations

from typing import Any

from portal.models import AuditEvent, Operation
from portal.principal import Principal


def audit_record(
    *, actor: Principal | None, action: str, summary: str, organization=None, target_type: str = "",
    target_id: str = "", details: dict[str, Any] | None = None, operation: Operation | None = None,
) -> AuditEvent:
    """Write one audit event. Services call it inside their transaction, beside the change itself."""
    return AuditEvent.objects.create(
        actor_user_id=actor.user_id if actor else "",
        actor_display=(actor.display if actor else "") or "system",
        organization=organization,
        action=action,
        target_type=target_type,
        target_id=target_id,
        summary=summary[:500],
        details=details or {},
        operation=operation,
    )
