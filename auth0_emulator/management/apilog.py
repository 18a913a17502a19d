"""Log events for Management API writes (``sapi`` on success, ``fapi`` on failure), as Auth0 records them."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from ..directory.logs import log_event_record
from ..errors import Auth0Error
from .common import tenant_of

Endpoint = Callable[[Request], Awaitable[Response]]


def _record(request: Request, description: str, status: int, ok: bool, target: str | None = None) -> None:
    claims = getattr(request.state, "claims", None)
    if claims is None:
        # Unauthenticated calls never reached the operation; Auth0 does not log them as API operations.
        return
    tenant = tenant_of(request)
    client_id = claims.get("azp") or str(claims.get("sub", "")).removesuffix("@clients")
    client = tenant.store.client_get(client_id) or {}
    user_id = target
    if user_id is None and request.url.path.startswith(("/api/v2/users/", "/api/v2/user-blocks/")):
        user_id = request.path_params.get("id")
    details_request: dict = {
        "method": request.method.lower(),
        "path": request.url.path,
        "auth": {"strategy": "jwt", "credentials": {"scopes": claims.get("scope", "")}},
    }
    members = getattr(request.state, "members", None)
    if members:
        # Organization membership writes: the body says whom they concern, and a write about one
        # member is found among that user's logs, like a write to /users/{id}.
        details_request["body"] = {"members": list(members)}
        if user_id is None and len(members) == 1:
            user_id = members[0]
    log_event_record(
        tenant,
        type="sapi" if ok else "fapi",
        description=description,
        client_id=client_id,
        client_name=client.get("name"),
        user_id=user_id,
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        details={"request": details_request, "response": {"statusCode": status}},
    )


def api_write(description: str) -> Callable[[Endpoint], Endpoint]:
    """Decorate a Management API write so its outcome lands in the tenant's logs."""

    def wrap(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def logged(request: Request) -> Response:
            try:
                response = await endpoint(request)
            except Auth0Error as exc:
                _record(request, description, exc.status, ok=False)
                raise
            _record(request, description, response.status_code, ok=True, target=_created_user(request, response))
            return response

        return logged

    return wrap


def _created_user(request: Request, response: Response) -> str | None:
    """The new user's id after ``POST /users``, so the event is found among that user's logs."""
    if request.url.path != "/api/v2/users" or response.status_code != 201:
        return None
    try:
        return json.loads(bytes(response.body)).get("user_id")
    except (ValueError, AttributeError):
        return None
