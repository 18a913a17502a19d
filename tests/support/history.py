"""Operations and audit events as tests need them: at a chosen time and in a chosen state."""

from __future__ import annotations

import datetime as dt
from unittest import mock

from portal.audit import audit_record
from portal.models import AuditEvent, Operation
from portal.operations import operation_create


def event_at(when: dt.datetime, **fields) -> AuditEvent:
    """An audit event recorded at ``when`` (the trail is append-only: its time is the clock's when it is
    written, so the clock is set for the write)."""
    fields.setdefault("summary", fields.get("action", "Something happened"))
    fields.setdefault("actor", None)
    with mock.patch("django.utils.timezone.now", return_value=when):
        return audit_record(**fields)


def operation_in(status: str, *, created: dt.datetime | None = None, last_error: str = "", attempts: int = 1,
                 **fields) -> Operation:
    """An operation recorded (at ``created``) and then left in ``status``, as a run would have left it."""
    fields.setdefault("actor", None)
    if created is None:
        operation = operation_create(**fields)
    else:
        with mock.patch("django.utils.timezone.now", return_value=created):
            operation = operation_create(**fields)
    finished = status in (Operation.Status.SUCCEEDED, Operation.Status.FAILED)
    Operation.objects.filter(pk=operation.pk).update(
        status=status, last_error=last_error, attempts=attempts,
        finished_at=(created or operation.created_at) + dt.timedelta(seconds=5) if finished else None)
    operation.refresh_from_db()
    return operation
