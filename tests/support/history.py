"""Operations and audit events as tests need them: at a chosen time and in a chosen state; and their pages
walked from end to end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import Client

from portal.audit import audit_record
from portal.models import AuditEvent, Operation
from portal.operations import operation_create


def event_at(when: dt.datetime, **fields) -> AuditEvent:
    """An audit event recorded at ``when`` (the trail is append-only: its time is the clock's when it is
    written, so the clock is set for the write)."""
    fields.setdefault("summary", fields.get("action", "Something happened"))
    fields.setdefault("actor", None)
    with mock.patch("django.utils.timezone.now", return_value=when):
        return audit_record(**fields)


def operation_in(status: str, *, created: dt.datetime | None = None, last_error: str = "", attempts: int = 1,
                 **fields) -> Operation:
    """An operation recorded (at ``created``) and then left in ``status``, as a run would have left it."""
    fields.setdefault("actor", None)
    if created is None:
        operation = operation_create(**fields)
    else:
        with mock.patch("django.utils.timezone.now", return_value=created):
            operation = operation_create(**fields)
    finished = status in (Operation.Status.SUCCEEDED, Operation.Status.FAILED)
    Operation.objects.filter(pk=operation.pk).update(
        status=status, last_error=last_error, attempts=attempts,
        finished_at=(created or operation.created_at) + dt.timedelta(seconds=5) if finished else None)
    operation.refresh_from_db()
    return operation


def pages_walked(client: Client, url: str, params: dict[str, str], key: Callable[[Any], Any]) -> tuple[list, list]:
    """Every row of a keyset-paged list page (``key`` of each of its context's ``rows``): read forward from
    its first page through the Next links, and backward from its Last link through the Previous links.
    Every link keeps ``params`` (the list's filters), and every page is one the link asked for."""

    def visit(link: str):
        response = client.get(link)
        assert response.status_code == 200 and response.context["listing"].message == ""
        listing = response.context["listing"]
        for other in (listing.first_url, listing.previous_url, listing.next_url, listing.last_url):
            query = parse_qs(urlsplit(other).query)
            assert not other or all(query.get(name) == [value] for name, value in params.items()), other
        return listing, [key(row) for row in response.context["rows"]]

    forward: list = []
    listing, rows = visit(f"{url}?{urlencode(params)}")
    last_url = listing.last_url
    forward += rows
    while listing.next_url:
        listing, rows = visit(listing.next_url)
        forward += rows
    backward: list = []
    if last_url:
        listing, rows = visit(last_url)
        backward = rows + backward
        while listing.previous_url:
            listing, rows = visit(listing.previous_url)
            backward = rows + backward
    else:
        backward = forward
    return forward, backward
