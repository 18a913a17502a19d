"""What every browser test does with a page: check it (axe-core and the phone layout), sign in and out.

The ``page`` fixture (``tests/e2e/conftest.py``) records every document the main frame loads; a test calls
:func:`check_page` once each of them is on screen. At teardown the fixture fails the test if a loaded
document was never checked, or if a check found a problem, with the whole report.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urldefrag

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

if TYPE_CHECKING:
    from portal.models import Operation

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = os.environ.get("PORTAL_E2E_SCREENSHOTS", "")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DEMO_PASSWORD = "Portal-demo-2026"
HOME_HEADING = "User administration, delegated safely"

_axe = Axe()

# Runs in the page: the reasons the document is not usable at the current viewport width.
# Every visible link and button must lie within the viewport, unless it sits in a region that says it
# scrolls sideways (a labelled, keyboard-focusable element marked data-scrolls-sideways).
_LAYOUT_PROBLEMS = """
() => {
  const width = window.innerWidth;
  const problems = [];
  const scrolling = document.scrollingElement.scrollWidth;
  if (scrolling > width) problems.push(`the document scrolls sideways (${scrolling}px wide)`);
  const describe = (el) => {
    const name = (el.getAttribute("aria-label") || el.textContent || el.value || "").trim().replace(/\\s+/g, " ");
    return `<${el.tagName.toLowerCase()}> "${name.slice(0, 60)}"`;
  };
  const controls = 'a[href], button, input[type="submit"], input[type="button"], input[type="reset"], '
    + '[role="button"], [role="link"], summary';
  for (const el of document.querySelectorAll(controls)) {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) continue;  // not rendered (display: none)
    if (getComputedStyle(el).visibility === "hidden") continue;
    if (rect.left >= -0.5 && rect.right <= width + 0.5) continue;
    const region = el.closest("[data-scrolls-sideways]");
    if (region && region.getAttribute("tabindex") === "0" && region.getAttribute("role") === "region"
        && (region.getAttribute("aria-label") || region.getAttribute("aria-labelledby"))) {
      const box = region.getBoundingClientRect();
      if (box.left >= -0.5 && box.right <= width + 0.5) continue;
    }
    const span = `${Math.round(rect.left)}px to ${Math.round(rect.right)}px`;
    problems.push(`${describe(el)} lies outside the viewport (${span})`);
  }
  return problems;
}
"""


@dataclass
class Document:
    url: str
    checked: bool = False


@dataclass
class PageAudit:
    """The documents a page loaded and what checking them found (kept by the ``page`` fixture)."""

    name: str = "page"
    documents: list[Document] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    screenshots: int = 0

    def loaded(self, url: str) -> None:
        self.documents.append(Document(url))

    def failures(self) -> list[str]:
        """What makes the test fail at teardown: documents never checked, and every problem found."""
        unchecked = [d.url for d in self.documents if not d.checked]
        listed = ["Documents loaded but never checked with check_page():\n  " + "\n  ".join(unchecked)]
        return (listed if unchecked else []) + self.problems


def audit_of(page: Page) -> PageAudit:
    return page.portal_audit  # type: ignore[attr-defined]


def check_page(page: Page) -> None:
    """Run axe-core (WCAG 2.0/2.1 A and AA) and the layout check at desktop and phone width on the
    document now shown, and record it as checked. Problems are reported when the test ends."""
    page.wait_for_load_state("load")
    audit = audit_of(page)
    current = urldefrag(page.url).url
    if not audit.documents or urldefrag(audit.documents[-1].url).url != current:
        raise AssertionError(f"check_page: the page shows {page.url}, but the last document loaded was "
                             f"{audit.documents[-1].url if audit.documents else 'none'}")
    size = page.viewport_size or DESKTOP
    try:
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            where = f"{current} at {viewport['width']}px"
            results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
            if results.violations_count:
                audit.problems.append(f"axe on {where}: {results.generate_report()}")
            for problem in page.evaluate(_LAYOUT_PROBLEMS):
                audit.problems.append(f"layout on {where}: {problem}")
            if SCREENSHOTS:  # to look at what was checked: PORTAL_E2E_SCREENSHOTS=<directory>
                audit.screenshots += 1
                name = f"{audit.name}-{audit.screenshots:02d}-{viewport['width']}.png"
                page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=True)
    finally:
        page.set_viewport_size(size)
    audit.documents[-1].checked = True


def sign_in(page: Page, portal: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through discovery and the emulator's hosted login page, checking both pages."""
    page.goto(f"{portal}/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    check_page(page)
    page.get_by_label("Work email").fill(email)
    page.get_by_role("button", name="Continue").click()
    # The emulator's hosted login page, with the email carried over as a login hint.
    expect(page.get_by_label("Email address")).to_have_value(email)
    check_page(page)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile("^" + re.escape(portal) + "/"))


def sign_out(page: Page) -> None:
    """Sign out from the navigation (opening the menu on a narrow screen) and land on the home page."""
    toggle = page.get_by_role("button", name="Toggle navigation")
    if toggle.is_visible():
        toggle.click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(HOME_HEADING)
    check_page(page)


def expect_field_error(field: Locator, message: str) -> None:
    """``field`` is marked invalid, and ``message`` is shown beside it (in the field's own group) and
    read with it (its accessible description)."""
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile(re.escape(message)))
    error_id = f"{field.get_attribute('id')}_error"
    expect(field.locator("xpath=..").locator(f"[id='{error_id}']")).to_have_text(message)


def run_pending(kind: str, task) -> Operation:
    """Run the newest queued operation of ``kind`` as the worker would (``.apply()``)."""
    from portal.models import Operation

    operation = Operation.objects.filter(kind=kind).order_by("-created_at").first()
    assert operation is not None, f"no {kind} operation was queued"
    task.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    return operation


def outcome_expect(page: Page, text: str) -> None:
    """The outcome of a followed operation, once it has finished: the page polls its followed operations and
    reloads itself when one finishes (static/portal/operations.js), and that render shows the outcome, once.
    A reload of the test's own could come just after it and find the outcome shown already, so the test waits
    for the page's (the poll backs off to ten seconds at most)."""
    expect(page.get_by_text(text)).to_be_visible(timeout=25_000)
