"""How a write tells the rest of the emulator: the search index and the delivery of events.

Both find their callee in ``tenant.extensions``: the index (owned by ``management.users.search``)
registers itself under ``"users_index"`` and gets ``touch(user_id)`` after each change; whatever pushes
changes to receivers (``delivery``) registers ``"events_publish"``, which gets ``(event type, object)``.
When neither is there (a bare tenant in a test), writes announce nothing.
"""

from __future__ import annotations

from ..tenant import Tenant


def index_touch(tenant: Tenant, user_id: str) -> None:
    index = tenant.extensions.get("users_index")
    if index is not None:
        index.touch(user_id)


def event_publish(tenant: Tenant, event_type: str, obj: dict) -> None:
    """Announce a change as the event Auth0 would stream (a no-op when nothing listens)."""
    publish = tenant.extensions.get("events_publish")
    if publish is not None:
        publish(event_type, obj)
