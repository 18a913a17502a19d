"""Keyset ("cursor") paging of a queryset: every page, the last one included, costs the same however
large the result, because the database seeks to the cursor in the sort index instead of counting past
OFFSET rows.

Why not django-cursor-pagination: it compares every cursor value as text, which mis-orders dates and
numbers on SQLite, and its OR-only conditions keep PostgreSQL from seeking in the index. Here cursor
values keep their types (read back through the model field), each condition carries a redundant bound
on the first sort column that the index can seek to, and NULLs sort last in both directions. A column
that cannot be NULL is ordered without a NULLS clause, so PostgreSQL reads a plain index on it either way
(it matches ``DESC NULLS LAST`` to no index made by Django).

A first key of a few values (``SortKey(grouped=True)``: a rank, a status) seeks twice, within the cursor's
group and then from the groups after it: its range alone would read the rest of the group before the
cursor, which can be most of the table.

A cursor is signed (``django.core.signing``), so a damaged or forged one is refused, never misread.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core import signing
from django.db import models
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

T = TypeVar("T", bound=models.Model)
_SALT = "portal.keyset"


class InvalidCursor(ValueError):
    """A cursor that was damaged, forged or made for another ordering."""


@dataclass(frozen=True)
class SortKey:
    """One column of the ordering; the last key of an ordering must be unique (the primary key)."""

    field: str
    descending: bool = False
    # A column of a few values, the first key only (see the module's docstring); never NULL.
    grouped: bool = False


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    items: list[T]
    # Cursors of the neighbouring pages; None where there is none.
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None


def _order(keys: Sequence[SortKey], nullable: Sequence[bool], *, reverse: bool) -> list:
    """NULLs after every value going forward, hence before them when reading from the end."""
    ordering = []
    for key, can_be_null in zip(keys, nullable, strict=True):
        descending = key.descending != reverse
        expression = F(key.field)
        if not can_be_null:  # no NULL to place: the clause would only keep PostgreSQL from the index
            ordering.append(expression.desc() if descending else expression.asc())
        elif reverse:
            ordering.append(expression.desc(nulls_first=True) if descending else expression.asc(nulls_first=True))
        else:
            ordering.append(expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True))
    return ordering


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    # JSON has no UUID (an Operation's or a BulkJob's key) nor date: as text, which the model field reads back.
    if isinstance(value, uuid.UUID | dt.date):
        return str(value)
    return value


def _decode(value: Any, model_field: models.Field) -> Any:
    if isinstance(value, dict) and set(value) == {"dt"}:
        value = value["dt"]
    return None if value is None else model_field.to_python(value)


def _field_of(model: type[models.Model], path: str) -> models.Field:
    field: Any = None
    for part in path.split("__"):
        field = model._meta.get_field(part)
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    return field


def _after(keys: Sequence[SortKey], values: Sequence[Any], nullable: Sequence[bool]) -> Q:
    """Rows strictly after ``values`` in the ordering ``keys`` (NULLs last)."""
    condition = Q(pk__in=[])  # nothing
    equal = Q()
    for key, value, can_be_null in zip(keys, values, nullable, strict=True):
        if value is None:
            # Only NULLs follow a NULL; the next key decides among them.
            equal &= Q(**{f"{key.field}__isnull": True})
            continue
        beyond = Q(**{f"{key.field}__{'lt' if key.descending else 'gt'}": value})
        if can_be_null:
            beyond |= Q(**{f"{key.field}__isnull": True})
        condition |= equal & beyond
        equal &= Q(**{key.field: value})
    return condition


def _before(keys: Sequence[SortKey], values: Sequence[Any], nullable: Sequence[bool]) -> Q:
    """Rows strictly before ``values`` in the ordering ``keys`` (NULLs last)."""
    condition = Q(pk__in=[])
    equal = Q()
    for key, value, _can_be_null in zip(keys, values, nullable, strict=True):
        if value is None:
            # Every non-NULL comes before a NULL; among NULLs the next key decides.
            condition |= equal & Q(**{f"{key.field}__isnull": False})
            equal &= Q(**{f"{key.field}__isnull": True})
            continue
        condition |= equal & Q(**{f"{key.field}__{'gt' if key.descending else 'lt'}": value})
        equal &= Q(**{key.field: value})
    return condition


def _seek_bound(key: SortKey, value: Any, nullable: bool, *, forward: bool) -> Q:
    """A condition implied by the keyset one, on the first sort column alone, that an index can seek to."""
    if value is None:
        return Q(**{f"{key.field}__isnull": True}) if forward else Q()
    upward = forward != key.descending
    bound = Q(**{f"{key.field}__{'gte' if upward else 'lte'}": value})
    if forward and nullable:
        bound |= Q(**{f"{key.field}__isnull": True})
    return bound


class KeysetPaginator(Generic[T]):
    """Pages of ``queryset`` in the order ``keys``; ``size`` rows a page."""

    def __init__(self, queryset: QuerySet[T], keys: Sequence[SortKey], size: int) -> None:
        if not keys or keys[-1].field not in ("pk", "id"):
            raise ValueError("the last sort key must be the primary key")
        self.queryset = queryset
        self.keys = list(keys)
        self.size = size
        model = queryset.model
        self._fields = [_field_of(model, "id" if k.field == "pk" else k.field) for k in self.keys]
        self._nullable = [bool(getattr(f, "null", False)) for f in self._fields]
        if any(k.grouped for k in self.keys[1:]) or (self.keys[0].grouped and self._nullable[0]):
            raise ValueError("only the first sort key may be grouped, and it cannot be NULL")
        self._signature = ",".join(f"{'-' if k.descending else ''}{k.field}" for k in self.keys)

    def cursor(self, item: T) -> str:
        values = []
        for key in self.keys:
            value: Any = item
            for part in key.field.split("__"):
                value = getattr(value, part)
            values.append(_encode(value))
        return signing.dumps({"o": self._signature, "v": values}, salt=_SALT, compress=True)

    def _values(self, cursor: str) -> list[Any]:
        try:
            data = signing.loads(cursor, salt=_SALT)
        except signing.BadSignature as exc:
            raise InvalidCursor(_("This page link is damaged or out of date.")) from exc
        if not isinstance(data, dict) or data.get("o") != self._signature or len(data.get("v", [])) != len(self.keys):
            raise InvalidCursor(_("This page link was made for another sort order."))
        try:
            return [_decode(v, f) for v, f in zip(data["v"], self._fields, strict=True)]
        except Exception as exc:  # a value the field cannot read back: same as a damaged link
            raise InvalidCursor(_("This page link is damaged or out of date.")) from exc

    def _seeks(self, values: list[Any], *, forward: bool) -> list[QuerySet[T]]:
        """The rows after (``forward``) or before the cursor's ``values``, as queries read in turn, each one
        an index seek."""
        keys, nullable = self.keys, self._nullable
        beyond = _after if forward else _before
        if not keys[0].grouped:
            seek = _seek_bound(keys[0], values[0], nullable[0], forward=forward)
            return [self.queryset.filter(seek & beyond(keys, values, nullable))]
        first = keys[0]
        within = (Q(**{first.field: values[0]}) & _seek_bound(keys[1], values[1], nullable[1], forward=forward)
                  & beyond(keys[1:], values[1:], nullable[1:]))
        later = Q(**{f"{first.field}__{'gt' if forward != first.descending else 'lt'}": values[0]})
        return [self.queryset.filter(within), self.queryset.filter(later)]

    def first(self) -> KeysetPage[T]:
        return self._forward([self.queryset])

    def after(self, cursor: str) -> KeysetPage[T]:
        return self._forward(self._seeks(self._values(cursor), forward=True), came_from_cursor=True)

    def before(self, cursor: str) -> KeysetPage[T]:
        return self._backward(self._seeks(self._values(cursor), forward=False), came_from_cursor=True)

    def last(self) -> KeysetPage[T]:
        return self._backward([self.queryset])

    def _read(self, querysets: list[QuerySet[T]], *, reverse: bool) -> list[T]:
        """Up to one row more than a page (whether there is more), from each query in turn."""
        ordering = _order(self.keys, self._nullable, reverse=reverse)
        rows: list[T] = []
        for queryset in querysets:
            rows.extend(queryset.order_by(*ordering)[: self.size + 1 - len(rows)])
            if len(rows) > self.size:
                break
        return rows

    def _forward(self, querysets: list[QuerySet[T]], *, came_from_cursor: bool = False) -> KeysetPage[T]:
        rows = self._read(querysets, reverse=False)
        items = rows[: self.size]
        more = len(rows) > self.size
        return KeysetPage(
            items=items,
            next_cursor=self.cursor(items[-1]) if more and items else None,
            previous_cursor=self.cursor(items[0]) if came_from_cursor and items else None,
        )

    def _backward(self, querysets: list[QuerySet[T]], *, came_from_cursor: bool = False) -> KeysetPage[T]:
        rows = self._read(querysets, reverse=True)
        items = list(reversed(rows[: self.size]))
        more = len(rows) > self.size
        return KeysetPage(
            items=items,
            next_cursor=self.cursor(items[-1]) if came_from_cursor and items else None,
            previous_cursor=self.cursor(items[0]) if more and items else None,
        )
