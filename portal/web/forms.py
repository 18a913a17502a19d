"""Helpers every package's forms share."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def form_errors_add(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError onto the form it came from: beside the fields it names, the rest
    above the form (the service holds the rules; the form only shows where they broke)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
