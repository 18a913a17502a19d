"""Reading what a bulk job is made of: an uploaded CSV file (streamed, never held whole in memory) or the API's
JSON rows, as ``(line, cells)`` pairs under a header.

A CSV file is UTF-8 with or without a byte-order mark, its cells separated by commas or by semicolons (as a
spreadsheet exports it where the comma is the decimal mark), with the header on its first line. Rows whose
cells are all empty are skipped; a row's line is the file's line it starts on (the header is line 1), which is
what the preview and the report call it by.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from onboarding.intake.columns import BLOCK, EMAIL, FAMILY_NAME, GIVEN_NAME, NAME, ROLES

Cells = dict[str, Any]


def _delimiter(header_line: str) -> str:
    """Comma or semicolon, whichever the header uses more of outside quotes."""
    counts = {",": 0, ";": 0}
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return ";" if counts[";"] > counts[","] else ","


class CsvRows:
    """A CSV file's header and then its rows, read as they are iterated. Problems with the file as a whole
    (not text, no header, too many rows) are ValidationErrors raised while reading."""

    def __init__(self, binary: IO[bytes]) -> None:
        # Decoded a line at a time (a newline byte is never inside a UTF-8 character), so a byte that is not
        # UTF-8 is reported with its line; utf-8-sig drops a byte-order mark.
        self._binary = binary
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
        self._line = 0
        first = self._readline()
        if not first.strip():
            raise ValidationError(_("The file is empty: its first line must name the columns (download the "
                                    "template)."), code="empty")
        self.delimiter = _delimiter(first)
        self._reader = csv.reader(self._lines(first), delimiter=self.delimiter, strict=True)
        self.headers = [h.strip() for h in self._next_record()]

    def _readline(self) -> str:
        try:
            raw = self._binary.readline()
            line = self._decoder.decode(raw, final=not raw)
        except UnicodeDecodeError:
            raise ValidationError(_("Line %(line)s is not UTF-8 text: save the file as “CSV UTF-8” and upload it "
                                    "again.") % {"line": self._line + 1}, code="encoding") from None
        if line:
            self._line += 1
        return line

    def _lines(self, first: str) -> Iterator[str]:
        yield first
        while line := self._readline():
            yield line

    def _next_record(self) -> list[str]:
        try:
            return next(self._reader)
        except csv.Error as exc:
            raise ValidationError(_("Line %(line)s cannot be read as CSV (%(problem)s).") % {
                "line": self._line, "problem": exc}, code="csv") from None

    def __iter__(self) -> Iterator[tuple[int, Cells]]:
        count, limit = 0, settings.BULK_MAX_ROWS
        while True:
            start = self._line + 1
            try:
                record = self._next_record()
            except StopIteration:
                return
            if not any(cell.strip() for cell in record):
                continue
            count += 1
            if count > limit:
                raise ValidationError(_("The file has more than %(limit)s rows: split it into files of at most "
                                        "%(limit)s.") % {"limit": number_format(limit, force_grouping=True)},
                                      code="rows")
            cells = {header: cell for header, cell in zip(self.headers, record, strict=False) if cell.strip()}
            if len(record) > len(self.headers) and any(c.strip() for c in record[len(self.headers):]):
                cells["__extra__"] = f"has {len(record)} cells but the header names {len(self.headers)} columns"
            yield start, cells


# The API's rows: a person's columns at the top level (roles a list of names), metadata under its target.
JSON_PERSON_KEYS = (EMAIL, GIVEN_NAME, FAMILY_NAME, NAME, BLOCK, ROLES)
JSON_METADATA_KEYS = ("user_metadata", "app_metadata")


def json_rows(rows: Any) -> tuple[list[str], list[tuple[int, Cells]]]:
    """The API's JSON rows (``[{"email": …, "given_name": …, "block": true, "roles": […], "user_metadata": {…}},
    …]``) as a
    header (``user_metadata.<key>`` for each metadata key used) and ``(position, cells)`` pairs (the first row is 1)."""
    if not isinstance(rows, list) or not rows:
        raise ValidationError(_("rows must be a list of at least one row."), code="rows")
    if len(rows) > settings.BULK_MAX_ROWS:
        raise ValidationError(_("Send at most %(limit)s rows in one job.") % {
            "limit": number_format(settings.BULK_MAX_ROWS, force_grouping=True)}, code="rows")
    headers: dict[str, None] = {}
    parsed: list[tuple[int, Cells]] = []
    for position, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise ValidationError(_("Row %(row)s is not an object.") % {"row": position}, code="rows")
        unknown = set(row) - set(JSON_PERSON_KEYS) - set(JSON_METADATA_KEYS)
        if unknown:
            raise ValidationError(_("Row %(row)s has keys the portal does not know: %(unknown)s. A row has "
                                    "%(known)s.") % {"row": position, "unknown": ", ".join(sorted(unknown)),
                                                     "known": ", ".join(JSON_PERSON_KEYS + JSON_METADATA_KEYS)},
                                  code="rows")
        roles = row.get(ROLES)
        if roles is not None and not (isinstance(roles, list) and all(isinstance(r, str) for r in roles)):
            raise ValidationError(_("Row %(row)s: roles must be a list of role names.") % {"row": position},
                                  code="rows")
        cells: Cells = {}
        for key in JSON_PERSON_KEYS:
            if row.get(key) not in (None, "", []):
                cells[key] = row[key]
        for target in JSON_METADATA_KEYS:
            part = row.get(target) or {}
            if not isinstance(part, dict):
                raise ValidationError(_("Row %(row)s: %(target)s must be an object of field keys and values.") % {
                    "row": position, "target": target}, code="rows")
            for key, value in part.items():
                if value not in (None, ""):
                    cells[f"{target}.{key}"] = value
        headers.update(dict.fromkeys(cells))
        parsed.append((position, cells))
    if EMAIL not in headers:
        raise ValidationError(_("No row has an email."), code="rows")
    return [EMAIL, *(h for h in headers if h != EMAIL)], parsed
