"""Auth0's error bodies: ``{statusCode, error, message, errorCode}``."""

from __future__ import annotations

from http import HTTPStatus

from starlette.responses import JSONResponse


class Auth0Error(Exception):
    """Raised anywhere in a Management API handler; rendered as Auth0 renders errors."""

    def __init__(
        self, status: int, message: str, error_code: str | None = None, headers: dict | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code
        self.headers = headers or {}

    def body(self) -> dict:
        body = {"statusCode": self.status, "error": HTTPStatus(self.status).phrase, "message": self.message}
        if self.error_code:
            body["errorCode"] = self.error_code
        return body

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def bad_request(message: str, error_code: str = "invalid_body") -> Auth0Error:
    return Auth0Error(400, message, error_code)


def not_found(message: str, error_code: str = "inexistent_user") -> Auth0Error:
    return Auth0Error(404, message, error_code)
