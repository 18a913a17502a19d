"""``/api/v2/event-streams``: webhook streams of tenant events, their failed deliveries, redelivery.

Operations, scopes and shapes are the spec's (``tests/contract/spec/``); ``delivery.events`` says where
each shape comes from. What the emulator does not do, said here so nobody relies on it:

- destinations other than ``webhook`` (``eventbridge``, ``action``) and the ``custom_header``
  authorization are refused with a 400 that says so: nothing here could deliver them;
- ``POST /event-streams/{id}/test`` is not served: the spec can only describe a failed delivery in its
  answer (its one status is ``failed``), so there is no honest answer for a test that worked;
- bodies are JSON only (the spec also lists form bodies, which cannot carry a destination object).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...delivery import events
from ...directory.formats import now_iso
from ...errors import Auth0Error
from ...tenant import Tenant
from ..apilog import api_write
from ..auth import require
from ..common import checkpointed, no_content, ok, payload_invalid, query_int, query_invalid, request_body, tenant_of
from .destinations import endpoint_check, enum_check

STREAM_FIELDS = ("name", "subscriptions", "destination", "status")
ID_DESCRIPTION = "Unique identifier for the event stream."
NAME_DESCRIPTION = "Name of the event stream."
SUBSCRIPTIONS_DESCRIPTION = "List of event types subscribed to in this stream."
ENDPOINT_DESCRIPTION = "Target HTTP endpoint URL."
STATUSES = ("enabled", "disabled")
DELIVERY_STATUSES = ("failed",)
# The spec's date_from/date_to: RFC-3339 without sub-second precision, at most 20 characters.
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
AUTH_FIELDS = {"bearer": ("method", "token"), "basic": ("method", "username", "password")}


def stream_not_found() -> Auth0Error:
    return Auth0Error(404, "The event stream does not exist.", "inexistent_event_stream")


def _stream_or_404(request: Request) -> dict:
    stream = events.stream_get(tenant_of(request), request.path_params["id"])
    if stream is None:
        raise stream_not_found()
    return stream


def _wake(tenant: Tenant) -> None:
    dispatcher = tenant.extensions.get("dispatcher")
    if dispatcher is not None:
        dispatcher.wake()


# -- body checks -------------------------------------------------------------------------------------
def _name(value: Any) -> str:
    if not isinstance(value, str):
        raise payload_invalid("Expected type string", "name", NAME_DESCRIPTION)
    if not 1 <= len(value) <= 128:
        problem = "String is too short (0 chars), minimum 1" if not value else \
            f"String is too long ({len(value)} chars), maximum 128"
        raise payload_invalid(problem, "name", NAME_DESCRIPTION)
    return value


def _subscriptions(value: Any, *, minimum: int) -> list[dict]:
    if not isinstance(value, list):
        raise payload_invalid("Expected type array", "subscriptions", SUBSCRIPTIONS_DESCRIPTION)
    if len(value) < minimum:
        raise payload_invalid(f"Array is too short ({len(value)}), minimum {minimum}", "subscriptions",
                              SUBSCRIPTIONS_DESCRIPTION)
    types: list[str] = []
    for i, item in enumerate(value):
        where = f"subscriptions[{i}]"
        if not isinstance(item, dict):
            raise payload_invalid("Expected type object", where)
        extra = [k for k in item if k != "event_type"]
        if extra:
            raise payload_invalid(f"Additional properties not allowed: {', '.join(extra)}", where)
        event_type = enum_check(item.get("event_type"), events.EVENT_TYPES, f"{where}.event_type")
        if event_type not in types:
            types.append(event_type)
    return [{"event_type": t} for t in types]


def _authorization(value: Any, previous: dict | None, secret: dict) -> tuple[dict, dict]:
    """The public authorization and its write-only secret. A PATCH that keeps the method may leave the
    secret out: the stored one stays (Auth0's Terraform provider sends it only when it changed)."""
    where = "destination.configuration.webhook_authorization"
    if not isinstance(value, dict):
        raise payload_invalid("Expected type object", where)
    method = value.get("method")
    if method == "custom_header":
        raise Auth0Error(400, "The emulator delivers webhooks with bearer or basic authorization only "
                              "(custom_header is not supported).", "invalid_body")
    enum_check(method, tuple(AUTH_FIELDS), f"{where}.method", "Type of authorization.")
    extra = [k for k in value if k not in AUTH_FIELDS[method]]
    if extra:
        raise payload_invalid(f"Additional properties not allowed: {', '.join(extra)}", where)
    kept = secret if previous is not None and previous.get("method") == method else {}
    if method == "bearer":
        token = value.get("token", kept.get("token"))
        if not isinstance(token, str) or not token:
            raise payload_invalid("Missing required property: token", where)
        return {"method": "bearer"}, {"token": token}
    username = value.get("username")
    if not isinstance(username, str) or not username:
        raise payload_invalid("Missing required property: username", where)
    if len(username) > 128 or ":" in username:
        raise payload_invalid(f"String does not match pattern ^[^:]+$ or is longer than 128: {username}",
                              f"{where}.username", "Username")
    password = value.get("password", kept.get("password"))
    if not isinstance(password, str) or not password:
        raise payload_invalid("Missing required property: password", where)
    return {"method": "basic", "username": username}, {"password": password}


def _destination(tenant: Tenant, value: Any, previous: dict | None, secret: dict) -> tuple[dict, dict]:
    if not isinstance(value, dict):
        raise payload_invalid("Expected type object", "destination")
    extra = [k for k in value if k not in ("type", "configuration")]
    if extra:
        raise payload_invalid(f"Additional properties not allowed: {', '.join(extra)}", "destination")
    kind = value.get("type")
    if kind in ("eventbridge", "action"):
        raise Auth0Error(400, f"The emulator delivers event streams to webhook destinations only ({kind} is "
                              "not supported).", "invalid_body")
    enum_check(kind, ("webhook",), "destination.type")
    configuration = value.get("configuration")
    if not isinstance(configuration, dict):
        raise payload_invalid("Missing required property: configuration", "destination")
    extra = [k for k in configuration if k not in ("webhook_endpoint", "webhook_authorization")]
    if extra:
        raise payload_invalid(f"Additional properties not allowed: {', '.join(extra)}", "destination.configuration")
    for required in ("webhook_endpoint", "webhook_authorization"):
        if required not in configuration:
            raise payload_invalid(f"Missing required property: {required}", "destination.configuration")
    endpoint = endpoint_check(tenant, configuration["webhook_endpoint"],
                              "destination.configuration.webhook_endpoint", ENDPOINT_DESCRIPTION)
    before = previous["configuration"]["webhook_authorization"] if previous else None
    authorization, new_secret = _authorization(configuration["webhook_authorization"], before, secret)
    return {"type": "webhook", "configuration": {"webhook_endpoint": endpoint,
                                                 "webhook_authorization": authorization}}, new_secret


def _name_free(tenant: Tenant, name: str, stream_id: str | None = None) -> None:
    other = events.stream_get_by_name(tenant, name)
    if other is not None and other["id"] != stream_id:
        raise Auth0Error(409, "Event stream name already in use.", "event_stream_conflict")


def _ordered(stream: dict) -> dict:
    """The spec's property order, leaving out what the stream does not have."""
    keys = ("id", "name", "subscriptions", "destination", "status", "created_at", "updated_at")
    return {k: stream[k] for k in keys if stream.get(k) not in (None, [])}


# -- streams -------------------------------------------------------------------------------------
async def streams_list(request: Request) -> Response:
    require(request, "read:event_streams")
    return ok(checkpointed(request, events.stream_list(tenant_of(request)), "eventStreams", "id"))


async def streams_get(request: Request) -> Response:
    require(request, "read:event_streams")
    return ok(_stream_or_404(request))


@api_write("Create an Event Stream")
async def streams_create(request: Request) -> Response:
    require(request, "create:event_streams")
    tenant = tenant_of(request)
    body = await request_body(request, allowed=STREAM_FIELDS, required=("destination",))
    name = _name(body["name"]) if body.get("name") is not None else None
    subscriptions = _subscriptions(body["subscriptions"], minimum=1) if "subscriptions" in body else []
    destination, secret = _destination(tenant, body["destination"], None, {})
    status = enum_check(body.get("status", "enabled"), STATUSES, "status",
                        "Indicates whether the event stream is actively forwarding events.")
    if name:
        _name_free(tenant, name)
    stamp = now_iso()
    stream = _ordered({"id": events.new_id("est_"), "name": name, "subscriptions": subscriptions,
                       "destination": destination, "status": status, "created_at": stamp, "updated_at": stamp})
    events.stream_put(tenant, stream, secret)
    return ok(stream, 201)


@api_write("Update an Event Stream")
async def streams_update(request: Request) -> Response:
    require(request, "update:event_streams")
    tenant = tenant_of(request)
    stream = _stream_or_404(request)
    body = await request_body(request, allowed=STREAM_FIELDS)
    secret = events.stream_secret(tenant, stream["id"])
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = _name(body["name"])
        _name_free(tenant, changes["name"], stream["id"])
    if "subscriptions" in body:
        changes["subscriptions"] = _subscriptions(body["subscriptions"], minimum=0)
    if "destination" in body:
        changes["destination"], secret = _destination(tenant, body["destination"], stream["destination"], secret)
    if "status" in body:
        changes["status"] = enum_check(body["status"], STATUSES, "status",
                                       "Indicates whether the event stream is actively forwarding events.")
    updated = _ordered({**stream, **changes, "updated_at": now_iso()})
    events.stream_put(tenant, updated, secret)
    if updated["status"] == "enabled":
        _wake(tenant)  # deliveries held while it was disabled may go now
    return ok(updated)


@api_write("Delete an Event Stream")
async def streams_delete(request: Request) -> Response:
    require(request, "delete:event_streams")
    stream_id = request.path_params["id"]
    if len(stream_id) != 26:
        raise Auth0Error(
            400, f"Path validation error: 'String length must be 26: {stream_id}' on property id ({ID_DESCRIPTION}).",
            "invalid_uri",
        )
    events.stream_delete(tenant_of(request), stream_id)
    return no_content()


# -- deliveries ------------------------------------------------------------------------------------
def _csv_query(request: Request, name: str, allowed: tuple[str, ...], description: str) -> list[str] | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    values = [v.strip() for v in raw.split(",") if v.strip()]
    for value in values:
        if value not in allowed:
            raise query_invalid(name, f"No enum match for: {value}", description)
    return values


def _date_query(request: Request, name: str, description: str) -> str | None:
    raw = request.query_params.get(name)
    if raw and not DATE.match(raw):
        raise query_invalid(name, f"Object didn't pass validation for format date-time: {raw}", description)
    return raw or None


async def deliveries_list(request: Request) -> Response:
    require(request, "read:event_streams", "read:event_deliveries")
    tenant = tenant_of(request)
    stream = _stream_or_404(request)
    _csv_query(request, "statuses", DELIVERY_STATUSES, "Comma-separated list of statuses by which to filter")
    event_types = _csv_query(request, "event_types", events.EVENT_TYPES,
                             "Comma-separated list of event types by which to filter")
    date_from = _date_query(request, "date_from", "An RFC-3339 date-time for redelivery start, inclusive.")
    date_to = _date_query(request, "date_to", "An RFC-3339 date-time for redelivery end, exclusive.")
    take = query_int(request, "take", 50, minimum=1, maximum=100, description="Number of results per page.") or 50
    rows = events.failed_deliveries(tenant, stream["id"], event_types=event_types, date_from=date_from,
                                    date_to=date_to)
    deliveries = [events.delivery_public(r) for r in rows]
    checkpoint = request.query_params.get("from")
    if checkpoint:
        ids = [d["id"] for d in deliveries]
        if checkpoint not in ids:
            raise query_invalid("from", f"Invalid checkpoint: {checkpoint}",
                                "Optional Id from which to start selection.")
        deliveries = deliveries[ids.index(checkpoint) + 1:]
    return ok(deliveries[:take])


async def delivery_history(request: Request) -> Response:
    require(request, "read:event_deliveries")
    tenant = tenant_of(request)
    stream = _stream_or_404(request)
    row = events.delivery_of_event(tenant, stream["id"], request.path_params["event_id"])
    if row is None or row["status"] != "failed":
        raise Auth0Error(404, "The event does not exist.", "inexistent_event")
    return ok(events.delivery_public(row))


@api_write("Redeliver Failed Events")
async def redeliver(request: Request) -> Response:
    require(request, "update:event_deliveries")
    tenant = tenant_of(request)
    stream = _stream_or_404(request)
    body = await request_body(request, allowed=("date_from", "date_to", "statuses", "event_types"))
    for name in ("date_from", "date_to"):
        if name in body and not (isinstance(body[name], str) and DATE.match(body[name])):
            raise payload_invalid(f"Object didn't pass validation for format date-time: {body[name]}", name)
    for name, allowed in (("statuses", DELIVERY_STATUSES), ("event_types", events.EVENT_TYPES)):
        if name in body:
            if not isinstance(body[name], list):
                raise payload_invalid("Expected type array", name)
            for i, value in enumerate(body[name]):
                enum_check(value, allowed, f"{name}[{i}]")
    rows = events.failed_deliveries(tenant, stream["id"], event_types=body.get("event_types") or None,
                                    date_from=body.get("date_from"), date_to=body.get("date_to"))
    events.redeliver(tenant, rows)
    _wake(tenant)
    return ok(body, 202)


@api_write("Redeliver a Single Failed Event by ID")
async def redeliver_one(request: Request) -> Response:
    require(request, "update:event_deliveries")
    tenant = tenant_of(request)
    stream = _stream_or_404(request)
    row = events.delivery_of_event(tenant, stream["id"], request.path_params["event_id"])
    if row is None:
        raise Auth0Error(404, "The event does not exist.", "inexistent_event")
    if row["status"] != "failed":
        raise Auth0Error(409, "The event is not in a state that allows redelivery.", "invalid_event_state")
    events.redeliver(tenant, [row])
    _wake(tenant)
    return Response(status_code=202)


def routes(tenant: Tenant) -> list[BaseRoute]:
    """Paths relative to ``/api/v2`` (see ``management.routes``)."""
    base = "/event-streams"
    return [
        Route(base, streams_list, methods=["GET"]),
        Route(base, streams_create, methods=["POST"]),
        Route(base + "/{id}", streams_get, methods=["GET"]),
        Route(base + "/{id}", streams_update, methods=["PATCH"]),
        Route(base + "/{id}", streams_delete, methods=["DELETE"]),
        Route(base + "/{id}/deliveries", deliveries_list, methods=["GET"]),
        Route(base + "/{id}/deliveries/{event_id}", delivery_history, methods=["GET"]),
        Route(base + "/{id}/redeliver", redeliver, methods=["POST"]),
        Route(base + "/{id}/redeliver/{event_id}", redeliver_one, methods=["POST"]),
    ]
