"""Errors a tool can act on, one JSON shape for all: ``{"error": code, "detail": text}``, plus ``errors`` (field
-> messages) on a 400. The services' own ValidationError and PermissionDenied become 400 and 403 here."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from api.permissions import InsufficientScope


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was used for a different request: use a new key for a new request."


def _field_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


_CODES = {400: "invalid_request", 401: "invalid_token", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          406: "not_acceptable", 415: "unsupported_media_type", 422: "unprocessable", 429: "rate_limited"}


def api_exception_handler(exc, context) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_field_errors(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or "You may not do this.")
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = _CODES.get(response.status_code, "error")
    if isinstance(exc, InsufficientScope):
        code = "insufficient_scope"
        response["WWW-Authenticate"] = f'Bearer error="insufficient_scope", scope="{exc.scope}"'
    elif isinstance(exc, IdempotencyKeyReused):
        code = exc.default_code
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"error": code, "detail": "Some of the input is not valid: see errors.", "errors": errors}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        response.data = {"error": code, "detail": str(detail)}
    return response


@csrf_exempt  # like every API view (bearer tokens, no cookies); it changes nothing whatever the method
def api_route_not_found(request: HttpRequest) -> JsonResponse:
    """A path under /api/ that is no route (a mistyped URL, an id of the wrong shape): a tool gets the API's
    JSON 404, whoever asks (it says nothing about any data)."""
    return JsonResponse({"error": "not_found", "detail": "No API route has this path: see /api/schema/."},
                        status=404)
