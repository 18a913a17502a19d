"""The documentation stays an entry point and a set of pages that hold together: README.md is under 15,000
bytes, links every page of docs/, and no relative link in README.md or docs/*.md leads to a file that does
not exist (anchors are not checked)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

REPO = Path(__file__).resolve().parents[2]
README_MAX_BYTES = 15_000

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
# [text](target) and [text](target "title"); ![alt](target) too.
INLINE_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)]*)?\)")
# [label]: target
REFERENCE_LINK = re.compile(r"^[ ]{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
EXTERNAL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|^//")


def _pages(root: Path) -> list[Path]:
    return sorted((root / "docs").glob("*.md"))


def _links(text: str) -> list[str]:
    """The link targets of a Markdown text, outside code blocks and code spans."""
    text = CODE_SPAN.sub("", FENCE.sub("", text))
    return INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text)


def _relative_targets(document: Path, root: Path) -> list[tuple[str, Path]]:
    """(link as written, the file it names) for each relative link of ``document``; anchors are dropped."""
    found = []
    for link in _links(document.read_text(encoding="utf-8")):
        if EXTERNAL.match(link) or link.startswith("#"):
            continue
        path = unquote(link.split("#", 1)[0].split("?", 1)[0])
        target = (root / path.lstrip("/")) if path.startswith("/") else (document.parent / path)
        found.append((link, target.resolve()))
    return found


def broken_links(root: Path) -> list[str]:
    """Every relative link of README.md and docs/*.md that names no file or directory of the repository."""
    broken = []
    for document in [root / "README.md", *_pages(root)]:
        for link, target in _relative_targets(document, root):
            if not target.is_relative_to(root.resolve()) or not target.exists():
                broken.append(f"{document.relative_to(root)}: {link}")
    return broken


def pages_not_linked_from_readme(root: Path) -> list[str]:
    linked = {target for _, target in _relative_targets(root / "README.md", root)}
    return [str(page.relative_to(root)) for page in _pages(root) if page.resolve() not in linked]


def test_the_readme_is_an_entry_point() -> None:
    size = (REPO / "README.md").stat().st_size
    assert size < README_MAX_BYTES, f"README.md is {size} bytes: move details to a page of docs/"


def test_the_readme_links_every_page_of_docs() -> None:
    assert pages_not_linked_from_readme(REPO) == []


def test_no_relative_link_is_broken() -> None:
    assert broken_links(REPO) == []


def test_the_checks_see_the_documentation() -> None:
    """Not vacuous: the pages are found, and the README's links to them are read."""
    pages = {page.name for page in _pages(REPO)}
    assert {"DESIGN.md", "architecture.md", "configuration.md"} <= pages
    assert len(_relative_targets(REPO / "README.md", REPO)) >= len(pages)


def test_the_checks_catch_what_they_should(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "linked.md").write_text(
        "[back](../README.md#top) [gone](missing.md) [out](../../elsewhere.md) [web](https://example.com/x.md)\n"
        "[anchor](#here) `[code](not-a-link.md)`\n\n```\n[fenced](not-a-link-either.md)\n```\n"
        "[ref]: ./linked.md\n[bad ref]: nowhere.md\n",
        encoding="utf-8",
    )
    (tmp_path / "docs" / "orphan.md").write_text("# Not linked from the README\n", encoding="utf-8")
    (tmp_path / "README.md").write_text(
        "[a page](docs/linked.md#section) [titled](docs/linked.md \"Title\") [broken](docs/nope.md)\n",
        encoding="utf-8",
    )
    assert pages_not_linked_from_readme(tmp_path) == ["docs/orphan.md"]
    assert broken_links(tmp_path) == [
        "README.md: docs/nope.md",
        "docs/linked.md: missing.md",
        "docs/linked.md: ../../elsewhere.md",
        "docs/linked.md: nowhere.md",
    ]
