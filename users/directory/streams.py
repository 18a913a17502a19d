"""Changes Auth0 pushes: reading what arrives at ``/hooks/auth0``, and registering the portal for it.

Two formats reach the one receiver:

- **event streams** (CloudEvents 1.0, one per request): ``{specversion, id, type, data: {object}}``;
  ``user.created|updated|deleted`` carry the user in ``data.object``, ``organization.member.added|deleted``
  and ``organization.member.role.assigned|deleted`` ``{organization, user: {user_id}, …}``;
- **log streams** (custom webhook): batches of ``{log_id, data: <log event>}`` as one JSON array
  (JSONARRAY), one object per line (JSONLINES) or one object (JSONOBJECT).

Nothing in a payload is trusted beyond the user's id and the event's type: each event only queues a
refresh, which reads the user from the Management API (``users.directory.refresh``), or, for a change of their
application roles (a member's roles, a Management API call on a user's roles), reads those roles
(``app_roles.sync``). Events are kept by id, so a
redelivery (both kinds are at least once) does nothing twice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import unquote

from django.conf import settings
from django.db import transaction

from app_roles.sync import person_app_roles_refresh_request
from auth0_gateway import Auth0NotFound, Auth0Permanent, gateway
from portal.faults import PermanentFault
from users.directory.refresh import directory_user_refresh_request
from users.models import StreamEvent

# The event types the portal subscribes to.
EVENT_TYPES = ("user.created", "user.updated", "user.deleted", "organization.member.added",
               "organization.member.deleted", "organization.member.role.assigned", "organization.member.role.deleted")
# The events that say a person's application roles changed: they queue a refresh of those roles
# (``app_roles.sync``), not of the person.
ROLE_EVENT_TYPES = ("organization.member.role.assigned", "organization.member.role.deleted")
# Tenant log event types that say a user changed (Auth0's codes): signup, password and email changed,
# email verified, user deleted, blocked by brute-force protection, a Management API operation.
LOG_TYPES = {"ss", "scp", "sce", "sv", "sdu", "limit_wc", "sapi"}
STREAM_NAME = "delegated-admin-portal"
MAX_EVENTS = 1000


class PayloadInvalid(ValueError):
    """A body that is not one of the formats Auth0 pushes."""


@dataclass(frozen=True)
class PushedEvent:
    event_id: str
    kind: str
    # The user it names ("" when it names none the directory cares about).
    user_id: str
    # It says the user's application roles changed (their roles are refreshed, not the user).
    roles: bool = False


def _cloud_event(item: dict) -> PushedEvent:
    event_id, kind = item.get("id"), item.get("type")
    if not isinstance(event_id, str) or not event_id or not isinstance(kind, str):
        raise PayloadInvalid("A CloudEvent needs a string id and type.")
    if item.get("a0purpose") == "test" or kind not in EVENT_TYPES:
        return PushedEvent(event_id, kind, "")
    obj = (item.get("data") or {}).get("object") if isinstance(item.get("data"), dict) else None
    if not isinstance(obj, dict):
        raise PayloadInvalid(f"The {kind} event {event_id} has no data.object.")
    user = obj.get("user") if kind.startswith("organization.member.") else obj
    user_id = user.get("user_id") if isinstance(user, dict) else None
    if not isinstance(user_id, str) or not user_id:
        raise PayloadInvalid(f"The {kind} event {event_id} names no user.")
    return PushedEvent(event_id, kind, user_id, roles=kind in ROLE_EVENT_TYPES)


_USER_PATH = re.compile(r"^/api/v2/(?:users|user-blocks)/([^/]+)")
# A Management API call on a user's roles in the tenant (Auth0 has no event stream type for those).
_USER_ROLES_PATH = re.compile(r"^/api/v2/users/[^/]+/roles/?$")


def _affected_user(data: dict) -> str:
    """The user an event is about. For a Management API operation (``sapi``) Auth0's log schema puts
    the actor in ``user_id`` (empty for machine clients): the user acted on is in the request's path."""
    if data.get("type") == "sapi":
        request = (data.get("details") or {}).get("request") if isinstance(data.get("details"), dict) else None
        path = request.get("path") if isinstance(request, dict) else None
        match = _USER_PATH.match(path) if isinstance(path, str) else None
        if match:
            return unquote(match.group(1))
    return data.get("user_id") if isinstance(data.get("user_id"), str) else ""


def _log_event(item: dict) -> PushedEvent:
    log_id, data = item.get("log_id"), item.get("data")
    if not isinstance(log_id, str) or not log_id or not isinstance(data, dict):
        raise PayloadInvalid("A log stream element needs a log_id and data.")
    kind = data.get("type")
    kind = kind if isinstance(kind, str) else ""
    user_id = _affected_user(data)
    # The portal's own Management API calls are already written through to the directory.
    own_call = kind == "sapi" and data.get("client_id") == settings.AUTH0_MGMT_CLIENT_ID
    relevant = kind in LOG_TYPES and not own_call
    return PushedEvent(log_id, f"log:{kind}", user_id if relevant else "", roles=relevant and _roles_path(data))


def _roles_path(data: dict) -> bool:
    request = (data.get("details") or {}).get("request") if isinstance(data.get("details"), dict) else None
    path = request.get("path") if isinstance(request, dict) else None
    return isinstance(path, str) and bool(_USER_ROLES_PATH.match(path))


def _item(item: object) -> PushedEvent:
    if not isinstance(item, dict):
        raise PayloadInvalid("Each pushed event must be a JSON object.")
    if "specversion" in item:
        return _cloud_event(item)
    if "log_id" in item:
        return _log_event(item)
    raise PayloadInvalid("Neither a CloudEvent (specversion) nor a log stream element (log_id).")


def pushed_events_parse(body: bytes) -> list[PushedEvent]:
    """The events in a pushed body, whatever the format; PayloadInvalid says what is wrong."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadInvalid("The body is not UTF-8.") from exc
    try:
        document = json.loads(text)
        items = document if isinstance(document, list) else [document]
    except ValueError:
        # JSONLINES: one JSON object per line.
        try:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as exc:
            raise PayloadInvalid("The body is neither JSON nor JSON lines.") from exc
    if not items:
        raise PayloadInvalid("The body holds no event.")
    if len(items) > MAX_EVENTS:
        raise PayloadInvalid(f"At most {MAX_EVENTS} events per request.")
    return [_item(item) for item in items]


def pushed_events_accept(events: list[PushedEvent]) -> tuple[int, int]:
    """Record events never seen before and queue a refresh of each user they name (once per user);
    returns (new, already seen)."""
    ids = list(dict.fromkeys(e.event_id for e in events))
    with transaction.atomic():
        seen = set(StreamEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
        new = [e for e in {e.event_id: e for e in events}.values() if e.event_id not in seen]
        StreamEvent.objects.bulk_create(
            [StreamEvent(event_id=e.event_id, kind=e.kind[:64], user_id=e.user_id) for e in new],
            ignore_conflicts=True,
        )
        for user_id in dict.fromkeys(e.user_id for e in new if e.user_id and not e.roles):
            directory_user_refresh_request(user_id)
        for user_id in dict.fromkeys(e.user_id for e in new if e.user_id and e.roles):
            person_app_roles_refresh_request(user_id)
    return len(new), len(ids) - len(new)


# -- registering the portal with the tenant ------------------------------------------------------------
def directory_streams_register(*, url: str, kind: str = "auto") -> dict:
    """Make Auth0 push user changes to ``url`` (the portal's /hooks/auth0), authenticated with
    DIRECTORY_STREAM_TOKEN: an event stream where the tenant has them (``kind`` "auto" or "event"), else
    a custom-webhook log stream. A stream of the portal's name is replaced, so this can run again."""
    token = settings.DIRECTORY_STREAM_TOKEN
    if not token:
        raise PermanentFault("DIRECTORY_STREAM_TOKEN is not set: the receiver would refuse every push.")
    if kind not in ("auto", "event", "log"):
        raise ValueError(f"unknown stream kind {kind!r}")
    auth0 = gateway()
    if kind in ("auto", "event"):
        try:
            for stream in auth0.event_streams_list():
                if stream.get("name") == STREAM_NAME:
                    auth0.event_stream_delete(stream_id=stream["id"])
            created = auth0.event_stream_create_webhook(name=STREAM_NAME, endpoint=url, bearer_token=token,
                                                        event_types=EVENT_TYPES)
            return {"kind": "event", "id": created.get("id")}
        except (Auth0NotFound, Auth0Permanent) as exc:
            # Event streams are early access (Enterprise): a tenant without them refuses the call.
            if kind == "event" or exc.status not in (403, 404):
                raise
    for stream in auth0.log_streams_list():
        if stream.get("name") == STREAM_NAME:
            auth0.log_stream_delete(stream_id=stream["id"])
    created = auth0.log_stream_create_http(name=STREAM_NAME, endpoint=url, authorization=f"Bearer {token}")
    return {"kind": "log", "id": created.get("id")}
