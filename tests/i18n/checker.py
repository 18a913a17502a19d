"""What the catalog checker (tests/i18n/test_catalogs.py) looks for: text in the portal's templates that a
person reads and that is not marked for translation.

A template is read with Django's own lexer: the text between its tags is what it writes as it is, and the rest
(variables, tags, comments, and whatever ``blocktranslate`` holds, which is marked) is put aside. What is left
is read as HTML: the text of elements (not of ``<script>`` or ``<style>``) and the attributes a person reads
(``aria-label``, ``title``, ``placeholder``, ``alt``, a button's ``value``) must hold no words. Names that
are the same in every language (Auth0, SCIM...) are not words here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

# Names written the same in every language.
UNTRANSLATED = {"Auth0", "SCIM", "SAML", "OIDC", "OAuth", "API", "REST", "JSON", "CSV", "URL", "URI", "ID",
                "HTTP", "HTTPS", "DNS", "TXT", "TTL", "ACS", "Okta", "Entra", "OpenAPI", "UTC", "XML", "PEM"}
READ_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "aria-description", "aria-roledescription"}
_WORD = re.compile(r"\w+")
_LETTERS = re.compile(r"[^\W\d_]{2,}")
_ENTITY = re.compile(r"&[#\w]+;")
# Put aside: their text is marked (blocktranslate) or never shown (comment, verbatim code).
_REGIONS = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans", "comment": "endcomment"}
# Between spaces, so that a tag inside an element's start tag (<span{% if x %} class="y"{% endif %}>) leaves
# something the HTML parser still reads as one start tag.
_GAP = " \x00 "


@dataclass(frozen=True)
class Unmarked:
    path: Path
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def words(text: str) -> list[str]:
    """The words of ``text`` that a translation would change."""
    text = _ENTITY.sub(" ", text.replace(_GAP, " "))
    return [word for word in _WORD.findall(text) if _LETTERS.search(word) and word not in UNTRANSLATED]


def _shadow(source: str) -> str:
    """The template with everything but its literal text replaced by gaps (line breaks kept, so that the HTML
    parser's line numbers are the template's)."""
    parts: list[str] = []
    closing: str | None = None
    for token in Lexer(source).tokenize():
        breaks = "\n" * token.contents.count("\n")
        if closing is not None:
            if token.token_type == TokenType.BLOCK and token.contents.split()[0] == closing:
                closing = None
            parts.append(_GAP + breaks)
            continue
        if token.token_type == TokenType.BLOCK and token.contents.split() and token.contents.split()[0] in _REGIONS:
            closing = _REGIONS[token.contents.split()[0]]
        parts.append(token.contents if token.token_type == TokenType.TEXT else _GAP + breaks)
    return "".join(parts)


class _Reader(HTMLParser):
    def __init__(self, path: Path) -> None:
        super().__init__(convert_charrefs=False)
        self.path = path
        self.found: list[Unmarked] = []
        self.hidden = 0  # inside <script> or <style>

    def _check(self, text: str) -> None:
        if words(text):
            line = self.getpos()[0] + text[:len(text) - len(text.lstrip(" \t\r\n" + _GAP))].count("\n")
            self.found.append(Unmarked(self.path, line, " ".join(text.replace(_GAP, " … ").split())))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        values = dict(attrs)
        for name, value in attrs:
            if value and (name in READ_ATTRIBUTES
                          or name == "value" and tag == "input"
                          and values.get("type") in ("submit", "button", "reset")):
                self._check(value)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden = max(0, self.hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self._check(data)


def template_unmarked(path: Path) -> list[Unmarked]:
    """The text of the template at ``path`` that a person reads and that is not marked for translation."""
    reader = _Reader(path)
    reader.feed(_shadow(path.read_text()))
    reader.close()
    return reader.found
