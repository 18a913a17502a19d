from __future__ import annotations

from celery import shared_task

from portal.operations import operations_sweep as _operations_sweep
from portal.services import heartbeat_record as _heartbeat_record


@shared_task(name="portal.tasks.heartbeat_record")
def heartbeat_record(name: str) -> None:
    """Beat schedules this every few seconds; a worker running it proves both processes are alive."""
    _heartbeat_record(name=name)


@shared_task(name="portal.tasks.operations_sweep")
def operations_sweep() -> int:
    """Beat runs this every minute: nothing recorded as an Operation is lost with its message."""
    return _operations_sweep()
