"""``/api/v2/logs`` and ``/api/v2/users/{id}/logs``: the tenant's log events."""

from __future__ import annotations

import json
import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..directory.logs import log_get
from ..directory.users import user_get
from ..errors import Auth0Error
from ..tenant import Tenant
from .auth import require
from .common import fields_projection, ok, project, query_bool, query_int, query_invalid, tenant_of
from .users.search import record_predicate
from .users.users import INVALID_PAGING, SEARCH_LIMIT, user_not_found

LOG_FIELDS = (
    "date",
    "connection",
    "client_id",
    "client_name",
    "ip",
    "user_id",
    "user_name",
    "description",
    "user_agent",
    "type",
    "details",
    "strategy",
    "strategy_type",
)
SORT = re.compile(r"^(" + "|".join(LOG_FIELDS) + r"):(1|-1)$")
# Bare terms in a log query match these.
LOG_DEFAULT_FIELDS = ("description", "user_name", "user_id", "client_name", "connection", "type", "ip")


def _sort(request: Request, logs: list[dict]) -> list[dict]:
    sort = request.query_params.get("sort") or "date:-1"
    if not SORT.match(sort):
        raise query_invalid(
            "sort",
            f"String does not match pattern {SORT.pattern}: {sort}",
            "Field to sort by. Use field:order where order is 1 for ascending and -1 for descending.",
        )
    field, direction = sort.split(":")
    if field == "date":
        # Stored in log_id order, which is time order with ties broken by sequence.
        return logs if direction == "1" else logs[::-1]
    present = [e for e in logs if e.get(field) is not None]
    missing = [e for e in logs if e.get(field) is None]
    present.sort(
        key=lambda e: json.dumps(e[field]) if isinstance(e[field], dict) else str(e[field]),
        reverse=direction == "-1",
    )
    return present + missing


def _page(request: Request, logs: list[dict], *, per_page_default: int = 50) -> Response:
    page = query_int(request, "page", 0, description="Page index of the results to return. First page is 0.")
    per_page = query_int(
        request,
        "per_page",
        per_page_default,
        maximum=100,
        description="Number of results per page. Paging is disabled if parameter not sent.",
    )
    include_totals = query_bool(request, "include_totals", False)
    if per_page and (page + 1) * per_page > SEARCH_LIMIT:
        raise Auth0Error(400, INVALID_PAGING, "invalid_paging")
    fields, include = fields_projection(request)
    start = page * per_page
    chunk = [project(e, fields, include) for e in logs[start : start + per_page]]
    if not include_totals:
        return ok(chunk)
    return ok(
        {
            "start": start,
            "limit": per_page,
            "length": len(chunk),
            "total": min(len(logs), SEARCH_LIMIT),
            "logs": chunk,
        }
    )


async def logs_list(request: Request) -> Response:
    require(request, "read:logs", "read:logs_users")
    tenant = tenant_of(request)
    checkpoint = request.query_params.get("from")
    take = query_int(
        request,
        "take",
        None,
        minimum=1,
        maximum=100,
        description="Number of entries to retrieve when using the from parameter.",
    )
    q = request.query_params.get("q") or request.query_params.get("search")
    if checkpoint is not None or (take is not None and "page" not in request.query_params):
        # Checkpoint paging: events after ``from`` (a log_id), oldest first.
        start_seq = 0
        if checkpoint:
            row = tenant.store.one("SELECT seq FROM logs WHERE log_id = ?", (checkpoint,))
            if row is None:
                raise query_invalid(
                    "from",
                    f"Log event {checkpoint} not found",
                    "Log Event Id from which to start selection from.",
                )
            start_seq = row["seq"]
        rows = tenant.store.all("SELECT data FROM logs WHERE seq > ? ORDER BY seq", (start_seq,))
        logs = [json.loads(r["data"]) for r in rows]
        if q:
            match = record_predicate(q, LOG_DEFAULT_FIELDS)
            logs = [e for e in logs if match(e)]
        fields, include = fields_projection(request)
        return ok([project(e, fields, include) for e in logs[: take or 50]])
    logs = [json.loads(r["data"]) for r in tenant.store.all("SELECT data FROM logs ORDER BY seq")]
    if q:
        match = record_predicate(q, LOG_DEFAULT_FIELDS)
        logs = [e for e in logs if match(e)]
    return _page(request, _sort(request, logs))


async def logs_get(request: Request) -> Response:
    require(request, "read:logs", "read:logs_users")
    event = log_get(tenant_of(request), request.path_params["id"])
    if event is None:
        raise Auth0Error(404, "log not found", "inexistent_log")
    return ok(event)


async def user_logs(request: Request) -> Response:
    require(request, "read:logs", "read:logs_users")
    tenant = tenant_of(request)
    user_id = request.path_params["id"]
    if user_get(tenant, user_id) is None:
        raise user_not_found()
    # Auth0 keeps at most the newest 1,000 events reachable per user.
    rows = tenant.store.all(
        "SELECT data FROM (SELECT seq, data FROM logs WHERE user_id = ? ORDER BY seq DESC LIMIT ?) "
        "ORDER BY seq",
        (user_id, SEARCH_LIMIT),
    )
    logs = [json.loads(r["data"]) for r in rows]
    return _page(request, _sort(request, logs))


def routes(tenant: Tenant) -> list[BaseRoute]:
    return [
        Route("/api/v2/logs", logs_list, methods=["GET"]),
        Route("/api/v2/logs/{id}", logs_get, methods=["GET"]),
        Route("/api/v2/users/{id}/logs", user_logs, methods=["GET"]),
    ]
