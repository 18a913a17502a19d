"""Helpers every package's forms share."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError

from portal.web.refusals import refusal_message


def form_errors_add(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError onto the form it came from: beside the fields it names, the rest
    above the form (the service holds the rules; the form only shows where they broke)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def form_refusal_add(form: forms.Form, exc: ValidationError | PermissionDenied, field: str | None = None) -> None:
    """A service's refusal on its form: a ValidationError beside the fields it names (:func:`form_errors_add`), a
    PermissionDenied (who asks may not do this to whom) beside ``field``, or above the form."""
    if isinstance(exc, ValidationError):
        form_errors_add(form, exc)
    else:
        form.add_error(field, refusal_message(exc))
