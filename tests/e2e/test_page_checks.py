"""The checks every browser test relies on catch what they are for: an axe violation, a page wider than
a phone, a button off screen, and a document that was loaded but never checked."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route

from tests.e2e.pages import audit_of, check_page

pytestmark = [pytest.mark.browser]

SITE = "http://checks.invalid"
BROKEN = """<!doctype html><html lang="en"><head><title>Broken</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Broken</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<div style="width: 600px">Too wide for a phone</div>
<button style="margin-left: 480px">Off screen on a phone</button>
</main></body></html>"""
FINE = """<!doctype html><html lang="en"><head><title>Fine</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Fine</h1><p><a href="/broken">A link</a></p></main></body></html>"""


def serve(route: Route) -> None:
    body = BROKEN if route.request.url.endswith("/broken") else FINE
    route.fulfill(body=body, content_type="text/html")


def test_checks_report_violations_overflow_and_unchecked_documents(page: Page) -> None:
    page.route(f"{SITE}/**", serve)
    audit = audit_of(page)

    page.goto(f"{SITE}/fine")
    check_page(page)
    assert audit.failures() == []

    page.goto(f"{SITE}/broken")
    check_page(page)
    problems = "\n".join(audit.failures())
    assert f"axe on {SITE}/broken at 1280px" in problems and "image-alt" in problems
    assert f"layout on {SITE}/broken at 390px: the document scrolls sideways" in problems
    assert f'layout on {SITE}/broken at 390px: <button> "Off screen on a phone" lies outside the viewport' in problems
    assert f"layout on {SITE}/broken at 1280px" not in problems  # it fits a desktop

    page.goto(f"{SITE}/fine")  # loaded, never checked
    failures = audit.failures()
    assert failures[0] == f"Documents loaded but never checked with check_page():\n  {SITE}/fine"

    # This test has seen what it wanted: let the fixture's teardown pass.
    audit.problems.clear()
    audit.documents[-1].checked = True
