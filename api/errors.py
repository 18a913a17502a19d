"""Errors a tool can act on, one JSON shape for all: ``{"error": code, "detail": text}``, plus ``errors`` (field
-> messages) on a 400. The services' own ValidationError and PermissionDenied become 400 and 403 here."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, JsonResponse
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from api.auth.permissions import InsufficientScope
from users.acts.invite import ON_ITS_WAY

T = TypeVar("T")


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = gettext_lazy("The request body is over the limit of this route: send less at once.")


class Conflict(exceptions.APIException):
    """The request is well formed, but what it acts on is not in a state that allows it (a bulk job's status), or
    the same thing is already under way (``error`` then says what: :data:`CONFLICT_CODES`)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = gettext_lazy("The resource's state does not allow this now.")

    def __init__(self, detail: str | None = None, code: str | None = None) -> None:
        super().__init__(detail, code)
        self.error_code = code or self.default_code


# The services' refusals (ValidationError codes) that say the same request is already under way: the request is
# right and asking again changes nothing until that one has finished, so a 409 with the code as its ``error``.
CONFLICT_CODES = frozenset({ON_ITS_WAY})


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = gettext_lazy(
        "This Idempotency-Key was used for a different request: use a new key for a new request.")


def _conflict_code(exc: DjangoValidationError) -> str | None:
    """The code of a refusal that is one of :data:`CONFLICT_CODES` (every error of it), else None."""
    codes = {error.code for errors in (exc.error_dict.values() if hasattr(exc, "error_dict") else [exc.error_list])
             for error in errors}
    return codes.pop() if len(codes) == 1 and codes <= CONFLICT_CODES else None


def _field_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


def fields_renamed(call: Callable[[], T], names: dict[str, str]) -> T:
    """``call()``, a service whose refusal names a field as the pages do (``role``, ``app_roles``), with that
    field named as the API's input names it (``names``: the service's name -> the API's)."""
    try:
        return call()
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict") and names.keys() & exc.error_dict.keys():
            raise DjangoValidationError({names.get(name, name): errors for name, errors in exc.error_dict.items()}
                                        ) from None
        raise


def flat_errors(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's errors as ``field -> messages``, the shape the schema gives them: a nested field is named by its path
    (``rows[3].email``, ``user_metadata.department``)."""
    if isinstance(errors, dict):
        flat: dict[str, list[str]] = {}
        for key, value in errors.items():
            name = f"{prefix}[{key}]" if isinstance(key, int) else f"{prefix}.{key}" if prefix else str(key)
            flat.update(flat_errors(value, name))
        return flat
    if isinstance(errors, list) and any(isinstance(item, dict | list) for item in errors):
        flat = {}
        for index, value in enumerate(errors):
            flat.update(flat_errors(value, f"{prefix}[{index}]"))
        return flat
    messages = errors if isinstance(errors, list) else [errors]
    return {prefix or "non_field_errors": [str(message) for message in messages]}


_CODES = {400: "invalid_request", 401: "invalid_token", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          406: "not_acceptable", 409: "conflict", 413: "request_too_large", 415: "unsupported_media_type",
          422: "unprocessable", 429: "rate_limited"}


def api_exception_handler(exc, context) -> Response | None:
    # Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE (or a form of too many fields) as it is read, with a
    # SuspiciousOperation that would become its HTML 400 page: here the API's JSON, a 413 for the size.
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(gettext("The request body is over the limit of %(limit)s bytes: send less at once.") % {
            "limit": number_format(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, force_grouping=True)})
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(gettext("The request cannot be read."))
    if isinstance(exc, DjangoValidationError):
        conflict = _conflict_code(exc)
        exc = Conflict(" ".join(exc.messages), conflict) if conflict else exceptions.ValidationError(_field_errors(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or gettext("You may not do this."))
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = _CODES.get(response.status_code, "error")
    if isinstance(exc, InsufficientScope):
        code = "insufficient_scope"
        response["WWW-Authenticate"] = f'Bearer error="insufficient_scope", scope="{exc.scope}"'
    elif isinstance(exc, IdempotencyKeyReused):
        code = exc.default_code
    elif isinstance(exc, Conflict):
        code = exc.error_code
    if isinstance(exc, exceptions.ValidationError):
        errors = flat_errors(exc.detail) if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"error": code, "detail": gettext("Some of the input is not valid: see errors."),
                         "errors": errors}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        response.data = {"error": code, "detail": str(detail)}
    return response


@csrf_exempt  # like every API view (bearer tokens, no cookies); it changes nothing whatever the method
def api_route_not_found(request: HttpRequest) -> JsonResponse:
    """A path under /api/ that is no route (a mistyped URL, an id of the wrong shape): a tool gets the API's
    JSON 404, whoever asks (it says nothing about any data)."""
    return JsonResponse({"error": "not_found", "detail": gettext("No API route has this path: see /api/schema/.")},
                        status=404)
