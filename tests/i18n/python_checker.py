"""What the catalog checker (tests/i18n/test_catalogs.py) looks for in the portal's Python: a message a person reads
that is a plain string, not marked for translation.

A person reads: a ``ValidationError``'s or ``PermissionDenied``'s message (pages show a service's refusal:
``portal.web.refusals``), a flash message (``messages.success(request, ...)`` and the other
levels), a form's ``add_error(field, ...)``, and the ``label``, ``help_text``, ``verbose_name`` and ``empty_label`` of
a form, serializer or model field. A literal there (or an f-string, which no catalog can hold) is unmarked; one
inside ``gettext``/``gettext_lazy``/``ngettext``/``pgettext`` (or any call) is not looked at. Two kinds are left in
English on purpose: the REST API's field ``help_text`` in ``api/`` (its OpenAPI documentation, written in English
like the rest of it), and a call that says why in a comment ``# untranslated: <why>`` on its lines or the line
above (a message stored once in English, such as an operation's error; one caught and replaced before anyone sees
it).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

FIELD_KEYWORDS = {"label", "help_text", "verbose_name", "verbose_name_plural", "empty_label"}
FLASH_LEVELS = {"debug", "info", "success", "warning", "error"}
EXEMPT = re.compile(r"#\s*untranslated:\s*\S")
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|\{[^}]*\}|%[sdf]")


@dataclass(frozen=True)
class Unmarked:
    path: Path
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _text(node: ast.expr) -> str | None:
    """The words of a plain string or f-string (``None``: not one, or no words in it)."""
    if isinstance(node, ast.BinOp):  # "..." % values, "..." + "..."
        return _text(node.left)
    if isinstance(node, ast.JoinedStr):
        text = "".join(part.value for part in node.values if isinstance(part, ast.Constant)) or "{f-string}"
        return text
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        words = _PLACEHOLDER.sub("", node.value)
        return node.value if re.search(r"[^\W\d_]{2,}", words) else None
    return None


def _shown(call: ast.Call, path: Path) -> list[ast.expr]:
    """The arguments of ``call`` that a person reads."""
    name = _name(call.func)
    shown: list[ast.expr] = []
    if name in {"ValidationError", "PermissionDenied"} and call.args:
        shown.append(call.args[0])
    if (name in FLASH_LEVELS and isinstance(call.func, ast.Attribute) and _name(call.func.value) == "messages"
            and len(call.args) >= 2):
        shown.append(call.args[1])
    if name == "add_error" and len(call.args) >= 2:
        shown.append(call.args[1])
    if name.endswith(("Field", "Choice", "Input", "Select")) or name in {"ModelChoiceField"}:
        for keyword in call.keywords:
            if keyword.arg in FIELD_KEYWORDS and not (keyword.arg == "help_text" and path.parts[0] == "api"):
                shown.append(keyword.value)
    return shown


def python_unmarked(path: Path, root: Path) -> list[Unmarked]:
    source = path.read_text()
    lines = source.splitlines()
    relative = path.relative_to(root)
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        for argument in _shown(node, relative):
            text = _text(argument)
            span = lines[max(0, node.lineno - 2):(node.end_lineno or node.lineno)]  # the call, and the line above
            if text is not None and not any(EXEMPT.search(line) for line in span):
                found.append(Unmarked(relative, argument.lineno, text))
    return sorted(found, key=lambda item: item.line)
