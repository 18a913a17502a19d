"""Paging through Auth0's lists: the one loop every listing of the gateway goes through.

Auth0 pages in two ways: by page number (``page``/``per_page`` with ``include_totals``) and by
checkpoint (``from``/``take`` and a ``next`` token). Either way a listing is a ``fetch(cursor)`` that
returns one page's items and the cursor of the page after it, or None after the last page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
Cursor = TypeVar("Cursor", int, str)


def pages(fetch: Callable[[Cursor], tuple[Sequence[T], Cursor | None]], first: Cursor) -> Iterator[T]:
    """Every item of every page, fetched lazily one page at a time."""
    cursor: Cursor | None = first
    while cursor is not None:
        items, cursor = fetch(cursor)
        yield from items


def offset_next(page: int, *, count: int, per_page: int, start: int, total: int | None) -> int | None:
    """The page number after ``page`` of a page-numbered list, or None when ``page`` was the last.

    A short page or Auth0's ``total`` (where the list has one) ends the list; the SDK pager's
    ``has_next`` cannot, since it stays true forever."""
    if count < per_page or (total is not None and start + count >= total):
        return None
    return page + 1


def checkpoint_next(items: Sequence[object], next_token: str | None) -> str | None:
    """The checkpoint after a page, or None: Auth0 sends no ``next`` (or an empty page) at the end."""
    return (next_token or None) if items else None
