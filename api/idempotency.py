"""``Idempotency-Key`` on any POST: the key becomes the operation's, so a tool that retries a request whose
answer it never got gets the same operation back and nothing is done twice; the same key with a different
request (method, path or body) is a 422."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from api.auth.caller import ApiCaller
from api.errors import IdempotencyKeyReused
from api.models import IdempotentRequest
from api.query import python_pattern

HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 200
# Visible ASCII, spaces inside only (a header's ends are trimmed on the way): what the schema says, checked here.
KEY_PATTERN = "^[!-~]([ -~]*[!-~])?$"

# perform(operation key or None) -> (response, the operation it recorded or None)
Perform = Callable[[str | None], tuple[Response, object | None]]
Replay = Callable[[IdempotentRequest], Response]


def _jsonable(value: object) -> str:
    """An uploaded file by its name, size and content (two files of one name are different requests)."""
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return f"file:{value.name}:{value.size}:{digest.hexdigest()}"
    return str(value)


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=_jsonable)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def operation_key(caller: ApiCaller, key: str) -> str:
    """The operation's idempotency key: the caller's key, in a namespace of the caller's own (two tools may
    choose the same key), short enough for the operation's column."""
    return f"api:{hashlib.sha256(caller.subject.encode()).hexdigest()[:24]}:{key}"


def earlier_request(caller: ApiCaller, key: str) -> IdempotentRequest | None:
    """The caller's request recorded under ``key``, if any."""
    return IdempotentRequest.objects.filter(caller=caller.subject, key=key).first()


def idempotent(request: Request, perform: Perform, replay: Replay) -> Response:
    key = request.headers.get(HEADER)
    if key is None:
        return perform(None)[0]
    if len(key) > KEY_MAX_LENGTH or not python_pattern(KEY_PATTERN).search(key):
        raise exceptions.ValidationError({HEADER: [
            _("Give a key of 1 to %(max)s visible ASCII characters, e.g. a UUID, new for each new request.")
            % {"max": KEY_MAX_LENGTH}]})
    caller: ApiCaller = request.user
    fingerprint = _fingerprint(request)
    earlier = earlier_request(caller, key)
    if earlier is None:
        try:
            with transaction.atomic():
                response, operation = perform(operation_key(caller, key))
                IdempotentRequest.objects.create(caller=caller.subject, key=key, fingerprint=fingerprint,
                                                 operation=operation, status_code=response.status_code,
                                                 response=response.data if operation is None else {})
            return response
        except (IntegrityError, DjangoValidationError):
            # The same key sent twice at once: the other request recorded it first (its insert refused ours, or
            # the service refused ours because of what it recorded: an invitation already on its way); answer
            # as it did.
            earlier = earlier_request(caller, key)
            if earlier is None:
                raise
    if earlier.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    response = replay(earlier)
    response["Idempotent-Replayed"] = "true"
    return response
