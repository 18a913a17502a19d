"""CSV downloads that every package's pages share: streamed row by row (an export of a large result never
sits in memory), opened as UTF-8 by spreadsheets, and safe from formula injection."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable

from django.http import StreamingHttpResponse


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A value as a CSV cell that no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def csv_response(rows: Iterable[Iterable[object]], *, filename: str) -> StreamingHttpResponse:
    """``rows`` (the header first) as a streamed CSV attachment; every cell goes through :func:`csv_cell`,
    so no caller can forget it."""
    writer = csv.writer(_Echo())
    lines = itertools.chain(
        ["\ufeff"],  # a byte-order mark, so that spreadsheets read the file as UTF-8
        (writer.writerow([csv_cell(v) for v in row]) for row in rows),
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
