"""``/api/v2/log-streams``: streams of the tenant's log events to HTTP sinks (Auth0's "Custom Webhook").

Operations, scopes and shapes are the spec's; ``delivery.logstreams`` says where each shape comes from.
What the emulator does not do, said here so nobody relies on it: stream types other than ``http``
(EventBridge, Event Grid, Datadog, Splunk, Sumo Logic, Segment, Mixpanel) and ``pii_config`` are
refused with a 400 that says so, and bodies are JSON only (the spec also lists form bodies, which
cannot carry a sink object).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...delivery import logstreams
from ...errors import Auth0Error
from ...tenant import Tenant
from ..apilog import api_write
from ..auth import require
from ..common import check_type, no_content, ok, payload_invalid, request_body, tenant_of
from .destinations import endpoint_check, enum_check

CREATE_FIELDS = ("name", "type", "isPriority", "filters", "pii_config", "sink", "startFrom")
UPDATE_FIELDS = ("name", "status", "isPriority", "filters", "pii_config", "sink")
SINK_FIELDS = ("httpAuthorization", "httpContentFormat", "httpContentType", "httpEndpoint", "httpCustomHeaders")
OTHER_TYPES = ("eventbridge", "eventgrid", "datadog", "splunk", "sumo", "segment", "mixpanel")


def stream_not_found() -> Auth0Error:
    return Auth0Error(404, "The log stream does not exist.", "inexistent_log_stream")


def _stream_or_404(request: Request) -> dict:
    stream = logstreams.stream_get(tenant_of(request), request.path_params["id"])
    if stream is None:
        raise stream_not_found()
    return stream


def _sink(tenant: Tenant, value: Any) -> dict:
    if not isinstance(value, dict):
        raise payload_invalid("Expected type object", "sink")
    extra = [k for k in value if k not in SINK_FIELDS]
    if extra:
        raise payload_invalid(f"Additional properties not allowed: {', '.join(extra)}", "sink")
    if "httpEndpoint" not in value:
        raise payload_invalid("Missing required property: httpEndpoint", "sink")
    sink = {"httpEndpoint": endpoint_check(tenant, value["httpEndpoint"], "sink.httpEndpoint", "HTTP endpoint")}
    for name, description in (("httpAuthorization", "HTTP Authorization header"),
                              ("httpContentType", "HTTP Content-Type header")):
        check_type(value, name, str, description)
    sink["httpContentFormat"] = enum_check(value.get("httpContentFormat") or "JSONLINES", logstreams.CONTENT_FORMATS,
                                           "sink.httpContentFormat", "HTTP JSON format")
    sink["httpContentType"] = value.get("httpContentType") or "application/json"
    if value.get("httpAuthorization"):
        sink["httpAuthorization"] = value["httpAuthorization"]
    headers = value.get("httpCustomHeaders")
    if headers is not None:
        if not isinstance(headers, list) or not all(
            isinstance(h, dict) and isinstance(h.get("header"), str) and isinstance(h.get("value", ""), str)
            for h in headers
        ):
            raise payload_invalid("Expected an array of {header, value} strings", "sink.httpCustomHeaders",
                                  "custom HTTP headers")
        sink["httpCustomHeaders"] = headers
    return sink


def _filters(value: Any) -> list[dict]:
    if not isinstance(value, list):
        raise payload_invalid("Expected type array", "filters")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise payload_invalid("Expected type object", f"filters[{i}]")
        enum_check(item.get("type", "category"), ("category",), f"filters[{i}].type",
                   "Filter type. Currently `category` is the only valid type.")
        enum_check(item.get("name"), logstreams.CATEGORIES, f"filters[{i}].name", "Category group name")
        out.append({"type": "category", "name": item["name"]})
    return out


def _common(body: dict) -> dict[str, Any]:
    """The properties create and update share: name, isPriority, filters (pii_config refused)."""
    if body.get("pii_config") is not None:
        raise Auth0Error(400, "The emulator does not obfuscate log fields (pii_config is not supported).",
                         "invalid_body")
    check_type(body, "name", str, "log stream name")
    check_type(body, "isPriority", bool, "True for priority log streams, false for non-priority")
    changes: dict[str, Any] = {}
    for key in ("name", "isPriority"):
        if body.get(key) is not None:
            changes[key] = body[key]
    if body.get("filters") is not None:
        changes["filters"] = _filters(body["filters"])
    return changes


def _start_from(value: Any) -> str | None:
    """``startFrom`` in the logs' own format (so it compares with their ``date``)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise payload_invalid(f"Object didn't pass validation for format date-time: {value}", "startFrom",
                              "The optional datetime (ISO 8601) to start streaming logs from")
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _wake(tenant: Tenant) -> None:
    dispatcher = tenant.extensions.get("dispatcher")
    if dispatcher is not None:
        dispatcher.wake()


def _ordered(stream: dict) -> dict:
    keys = ("id", "name", "type", "status", "isPriority", "filters", "sink")
    return {k: stream[k] for k in keys if k in stream}


async def streams_list(request: Request) -> Response:
    require(request, "read:log_streams")
    return ok(logstreams.stream_list(tenant_of(request)))


async def streams_get(request: Request) -> Response:
    require(request, "read:log_streams")
    return ok(_stream_or_404(request))


@api_write("Create a Log Stream")
async def streams_create(request: Request) -> Response:
    require(request, "create:log_streams")
    tenant = tenant_of(request)
    body = await request_body(request, allowed=CREATE_FIELDS, required=("type", "sink"))
    if body["type"] in OTHER_TYPES:
        raise Auth0Error(400, f"The emulator streams logs to http sinks only ({body['type']} is not supported).",
                         "invalid_body")
    enum_check(body["type"], ("http", *OTHER_TYPES), "type")
    changes = _common(body)
    sink = _sink(tenant, body["sink"])
    start_from = _start_from(body.get("startFrom"))
    stream = _ordered({"id": logstreams.new_id(tenant), "type": "http", "status": "active", **changes,
                       "sink": sink})
    logstreams.stream_put(tenant, stream, cursor=logstreams.cursor_start(tenant, start_from))
    _wake(tenant)
    return ok(stream)  # the spec documents 200 here, not 201


@api_write("Update a Log Stream")
async def streams_update(request: Request) -> Response:
    require(request, "update:log_streams")
    tenant = tenant_of(request)
    stream = _stream_or_404(request)
    body = await request_body(request, allowed=UPDATE_FIELDS)
    changes = _common(body)
    if "status" in body:
        changes["status"] = enum_check(body["status"], logstreams.STATUSES, "status",
                                       "The status of the log stream. Possible values: `active`, `paused`, "
                                       "`suspended`")
    if body.get("sink") is not None:
        changes["sink"] = _sink(tenant, body["sink"])
    updated = _ordered({**stream, **changes})
    logstreams.stream_put(tenant, updated)
    _wake(tenant)  # a resumed stream catches up on what it missed while paused
    return ok(updated)


@api_write("Delete Log Stream")
async def streams_delete(request: Request) -> Response:
    require(request, "delete:log_streams")
    if not logstreams.stream_delete(tenant_of(request), request.path_params["id"]):
        raise stream_not_found()
    return no_content()


def routes(tenant: Tenant) -> list[BaseRoute]:
    """Paths relative to ``/api/v2`` (see ``management.routes``)."""
    return [
        Route("/log-streams", streams_list, methods=["GET"]),
        Route("/log-streams", streams_create, methods=["POST"]),
        Route("/log-streams/{id}", streams_get, methods=["GET"]),
        Route("/log-streams/{id}", streams_update, methods=["PATCH"]),
        Route("/log-streams/{id}", streams_delete, methods=["DELETE"]),
    ]
