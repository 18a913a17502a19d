"""Pushed changes: event streams (CloudEvents to webhooks) and log streams (tenant logs to HTTP sinks).

Auth0 pushes tenant changes to receivers the customer registers; the portal's mirror listens to both.
Here the data layer (``directory``) announces each change through two hooks it finds in
``tenant.extensions`` (``events_publish`` and ``logs_appended``), ``events`` and ``logstreams`` keep the
stream definitions and what is owed to each receiver in SQLite, and one background task
(``dispatcher``) posts it, never inside the request that made the change, retrying with backoff.
``install`` wires the hooks and returns that task's owner, which the application starts and stops.
"""

from __future__ import annotations

from ..tenant import Tenant
from . import events
from .dispatcher import Dispatcher


def install(tenant: Tenant) -> Dispatcher:
    """Register the hooks the directory calls after a write, and the dispatcher that delivers."""
    dispatcher = Dispatcher(tenant)
    tenant.extensions["dispatcher"] = dispatcher

    def publish(event_type: str, obj: dict) -> None:
        if events.publish(tenant, event_type, obj):
            dispatcher.wake()

    tenant.extensions["events_publish"] = publish
    tenant.extensions["logs_appended"] = dispatcher.logs_appended
    return dispatcher
