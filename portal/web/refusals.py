"""What a refusal says to a person. Services refuse with ValidationError (the request makes no sense now:
a guardrail, a state) or PermissionDenied (who asks may not); pages show either the same way, before
anything is pressed where they can (:func:`refusal_of`) and after a request otherwise
(:func:`refusal_message`)."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError


def refusal_message(exc: ValidationError | PermissionDenied) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def refusal_of(check: Callable[[], object]) -> str:
    """What a refused check says ("" when it passes): how a confirmation page tells, before anyone presses
    anything, why the act cannot be done."""
    try:
        check()
    except (ValidationError, PermissionDenied) as exc:
        return refusal_message(exc)
    return ""
