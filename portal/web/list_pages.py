"""What every keyset-paged list page shares (the user lists, the operations and audit pages): reading the page
the query string asks for, the links to the first, previous, next and last pages with the list's state
kept in them, and a total that costs no more than a page.

A page is asked for by ``after`` or ``before`` (a signed cursor, ``portal.keyset``) or ``page=last``; a
damaged, forged or foreign cursor, or one past either end, shows the nearest page that can be shown with
a message saying why, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from portal.keyset import InvalidCursor, KeysetPage, KeysetPaginator

T = TypeVar("T", bound=models.Model)

# Query parameters that say which page to show (the rest is the list's state).
PAGING = ("after", "before", "page")
# A cursor is a few hundred characters; anything much longer was not made by a page.
CURSOR_MAX_LENGTH = 1000
# Counted no further: beyond it a list says "more than", so its total never costs more than its page.
TOTAL_COUNT_CAP = 1000


def url_with(url: str, params: dict[str, str], **extra: str) -> str:
    """``url`` with the list's state (``params``) and ``extra`` as its query string."""
    query = urlencode({**params, **extra})
    return f"{url}?{query}" if query else url


@dataclass(frozen=True)
class ListPage(Generic[T]):
    """One page of a list and its links (each "" where there is no such page)."""

    page: KeysetPage[T]
    # Why this is not the page the link asked for ("" when it is).
    message: str
    # This page again (e.g. where to come back to after an act on one of its rows).
    here: str
    first_url: str
    previous_url: str
    next_url: str
    last_url: str

    @property
    def items(self) -> list[T]:
        return self.page.items


def _page_asked(request: HttpRequest, paginator: KeysetPaginator[T]) -> tuple[KeysetPage[T], dict[str, str], str]:
    """The page the query string asks for, the paging parameter that shows it again, and what to tell the
    reader when that page cannot be shown: the nearest page that can."""
    after, before, where = (request.GET.get(name, "") for name in PAGING)
    try:
        if len(after) > CURSOR_MAX_LENGTH or len(before) > CURSOR_MAX_LENGTH:
            raise InvalidCursor(_("This page link is damaged or out of date."))
        if after:
            page, paging = paginator.after(after), {"after": after}
        elif before:
            page, paging = paginator.before(before), {"before": before}
        elif where == "last":
            page, paging = paginator.last(), {"page": "last"}
        elif where in ("", "first"):
            return paginator.first(), {}, ""
        else:
            shown = where[:40]
            return paginator.first(), {}, _("There is no page “%(page)s”: pages are reached with the links below "
                                            "the list. Showing the first page.") % {"page": shown}
    except InvalidCursor as exc:
        return paginator.first(), {}, _("%(problem)s Showing the first page.") % {"problem": exc}
    if not page.items and after:
        last = paginator.last()
        if last.items:
            return last, {"page": "last"}, _("That page is past the end of the list (it may have changed since the "
                                             "link was made). Showing the last page.")
    if not page.items and before:
        first = paginator.first()
        if first.items:
            return first, {}, _("That page is before the start of the list (it may have changed since the link "
                                "was made). Showing the first page.")
    return page, paging, ""


def list_page_read(request: HttpRequest, paginator: KeysetPaginator[T], list_url: str,
                   params: dict[str, str]) -> ListPage[T]:
    """The page of ``paginator`` the request asks for, with links that keep ``params`` (the list's state)."""
    page, paging, message = _page_asked(request, paginator)
    return ListPage(
        page=page, message=message, here=url_with(list_url, params, **paging),
        first_url=url_with(list_url, params) if page.has_previous else "",
        previous_url=url_with(list_url, params, before=page.previous_cursor) if page.previous_cursor else "",
        next_url=url_with(list_url, params, after=page.next_cursor) if page.next_cursor else "",
        last_url=url_with(list_url, params, page="last") if page.has_next else "",
    )


def list_total(queryset: QuerySet, *, cap: int = TOTAL_COUNT_CAP) -> tuple[int, bool]:
    """How many rows the list has, and whether there are more than that: counting stops past ``cap``, so a huge
    list's total costs what a page of it does (an exact count would read every row the filters keep). A page
    says it with ``ngettext`` ("1 event", "12 events", "More than 1,000 events"), in words a translator orders."""
    counted = queryset.order_by()[: cap + 1].count()
    return (cap, True) if counted > cap else (counted, False)


def list_total_label(queryset: QuerySet, singular: str, plural: str, *, cap: int = TOTAL_COUNT_CAP) -> str:
    """:func:`list_total` in English words: "1 event", "12 events", or "More than 1,000 events" (pages, which
    are translated, say theirs with ``ngettext`` instead)."""
    counted, more = list_total(queryset, cap=cap)
    if more:
        return f"More than {counted:,} {plural}"
    return f"{counted:,} {singular if counted == 1 else plural}"
