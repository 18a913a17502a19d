"""The shared CSV download: formula-looking cells are defused, the file is UTF-8 with a byte-order mark."""

from __future__ import annotations

import pytest

from portal.web.csv_export import csv_cell, csv_response


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_a_spreadsheet_would_run_get_a_leading_quote(start: str) -> None:
    assert csv_cell(f"{start}HYPERLINK(\"http://evil.test\")") == f"'{start}HYPERLINK(\"http://evil.test\")"
    assert csv_cell(f"a{start}b") == f"a{start}b"


def test_a_response_streams_every_row_through_csv_cell() -> None:
    response = csv_response(iter([["Name", "Note"], ["Ada", "=1+1"], [None, 3]]), filename="x.csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body == "\ufeffName,Note\r\nAda,'=1+1\r\n,3\r\n"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response["Cache-Control"] == "private, no-store"
