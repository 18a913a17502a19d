"""Query parameters, each declared once: its JSON schema is both what /api/schema/ says about it and the check a
request's value must pass before a view reads it, so the two cannot drift apart.

A value the schema does not allow (a size out of range, a date that is not YYYY-MM-DD, an enum's value in
another case, ``never=yes`` where a boolean is ``true`` or ``false``, an empty ``size=``) is a 400 naming the
parameter, as is a parameter given twice; nothing is guessed. Parameters the API does not know are ignored,
as web APIs do (a tool may add its own cache-busters). Only the schema keywords below are understood, and a
declaration with any other is refused at import: the schema never promises a rule that is not checked.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_lazy, ngettext
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.request import Request

# Free text may hold anything but NUL, which no database column takes. JSON Schema's pattern is ECMA's:
# ``$`` is the end of the text (Python's ``\Z``, below), and ``[0-9]`` rather than ``\d``, which in Python
# also matches other scripts' digits.
TEXT_PATTERN = "^[^\\u0000]*$"
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
KEYWORDS = {"type", "enum", "minimum", "maximum", "minLength", "maxLength", "pattern", "format"}
TYPES = {"string", "integer", "boolean"}
FORMATS = {"date"}


def python_pattern(pattern: str) -> re.Pattern[str]:
    """A JSON schema ``pattern`` as Python reads it the way ECMA does: a search, ``$`` only at the very end."""
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)


@dataclass(frozen=True)
class QueryParameter:
    name: str
    schema: dict[str, Any]
    description: str = ""
    # What a value that does not match the pattern is told.
    mismatch: str = gettext_lazy("Not a value this parameter takes.")
    _pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        unknown = set(self.schema) - KEYWORDS
        if unknown or self.schema.get("type") not in TYPES or self.schema.get("format", "date") not in FORMATS:
            raise ValueError(f"query parameter {self.name}: the check does not enforce {self.schema}")
        if "pattern" in self.schema:
            object.__setattr__(self, "_pattern", python_pattern(self.schema["pattern"]))

    def openapi(self) -> OpenApiParameter:
        return OpenApiParameter(self.name, dict(self.schema), OpenApiParameter.QUERY, description=self.description)

    def parse(self, raw: str) -> Any:
        """The value as its type (str, int, bool or date); ValueError with what to send instead."""
        kind = self.schema["type"]
        if kind == "boolean":
            if raw not in ("true", "false"):
                raise ValueError(gettext("Give true or false."))
            value: Any = raw == "true"
        elif kind == "integer":
            if not re.fullmatch(r"-?[0-9]{1,18}", raw):
                raise ValueError(self._integer_hint())
            value = int(raw)
            if not self.schema.get("minimum", value) <= value <= self.schema.get("maximum", value):
                raise ValueError(self._integer_hint())
        else:
            value = raw
            if len(raw) < self.schema.get("minLength", 0):
                low = self.schema["minLength"]
                raise ValueError(ngettext("Give at least %(min)s character.", "Give at least %(min)s characters.",
                                          low) % {"min": low})
            if len(raw) > self.schema.get("maxLength", len(raw)):
                high = self.schema["maxLength"]
                raise ValueError(ngettext("Keep it to %(max)s character.", "Keep it to %(max)s characters.", high)
                                 % {"max": number_format(high, force_grouping=True)})
            if self._pattern is not None and not self._pattern.search(raw):
                raise ValueError(self.mismatch)
            if self.schema.get("format") == "date":
                value = self._date(raw)
        if "enum" in self.schema and value not in self.schema["enum"]:
            raise ValueError(self._one_of())
        return value

    def _date(self, raw: str) -> datetime.date:
        try:
            if not re.fullmatch(DATE_PATTERN[1:-1], raw):
                raise ValueError(raw)
            return datetime.date.fromisoformat(raw)
        except ValueError:
            raise ValueError(gettext("Give a date as YYYY-MM-DD, like 2026-03-31.")) from None

    def _integer_hint(self) -> str:
        low, high = self.schema.get("minimum"), self.schema.get("maximum")
        if "enum" in self.schema:
            return self._one_of()
        if low is not None and high is not None:
            return gettext("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
        return gettext("Give a whole number.")

    def _one_of(self) -> str:
        # The values are the API's own (enum values, never translated).
        return gettext("Give one of %(values)s.") % {"values": ", ".join(map(str, self.schema["enum"]))}


def text(name: str, max_length: int, description: str = "") -> QueryParameter:
    return QueryParameter(name, {"type": "string", "maxLength": max_length, "pattern": TEXT_PATTERN}, description,
                          mismatch=gettext_lazy("A NUL character is not allowed."))


def choice(name: str, values: list[str], description: str = "") -> QueryParameter:
    return QueryParameter(name, {"type": "string", "enum": list(values)}, description)


def date(name: str, description: str = "") -> QueryParameter:
    return QueryParameter(name, {"type": "string", "format": "date"}, description)


def query_read(request: Request, parameters: list[QueryParameter]) -> dict[str, Any]:
    """The declared parameters the request gives, each checked against its schema and typed; a 400 naming every
    one that is wrong."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for parameter in parameters:
        given = request.query_params.getlist(parameter.name)
        if not given:
            continue
        if len(given) > 1:
            errors[parameter.name] = [gettext("Give %(name)s once.") % {"name": parameter.name}]
            continue
        try:
            values[parameter.name] = parameter.parse(given[0])
        except ValueError as exc:
            errors[parameter.name] = [str(exc)]
    if errors:
        raise exceptions.ValidationError(errors)
    return values
