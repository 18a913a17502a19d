"""Errors of the Authentication API, which are not shaped like the Management API's.

JSON endpoints (``/oauth/token``, ``/userinfo``, ``/dbconnections/*``) answer
``{"error": …, "error_description": …}``; browser endpoints answer with a hosted error page.
The ``endpoint`` decorators turn both, and any unexpected failure, into a response, so a handler can
raise from anywhere and no stack trace ever reaches a client.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .pages.render import error_page

log = logging.getLogger("auth0_emulator.authn")

Handler = Callable[[Request], Awaitable[Response]]


class OAuthError(Exception):
    """An error of a JSON endpoint, rendered as ``{"error", "error_description"}``."""

    def __init__(self, status: int, error: str, description: str, headers: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers={"Cache-Control": "no-store", **self.headers})


class PageError(Exception):
    """An error of a browser endpoint, rendered as the hosted error page."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def invalid_request(description: str) -> OAuthError:
    return OAuthError(400, "invalid_request", description)


def json_endpoint(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        try:
            return await handler(request)
        except OAuthError as exc:
            return exc.response()
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            return OAuthError(500, "server_error", "Internal error").response()

    return wrapper


def page_endpoint(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        try:
            return await handler(request)
        except PageError as exc:
            return error_page(exc.status, exc.error, exc.description)
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            return error_page(500, "server_error", "Something went wrong. Please try again later.")

    return wrapper
