"""The code's layout stays one a newcomer can find their way in: no Python module longer than
:data:`MODULE_LINES_MAX` lines, no package directory with more than :data:`PACKAGE_MODULES_MAX` modules
directly in it (migrations aside: Django writes them, one per change), and no module of the portal importing
one that imports it back, however long the way round (import-linter's contracts keep the layers; this keeps
every module within a layer acyclic too)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[2]
MODULE_LINES_MAX = 600
PACKAGE_MODULES_MAX = 15
PORTAL_PACKAGES = ("config", "api", "scim", "onboarding", "history", "signin", "users", "app_roles", "sso", "domains",
                   "organizations", "auth0_gateway", "portal")


# What is not the project's own code: installed environments, data, caches (as .gitignore has them). CI runs
# in a copy of the checkout without its .git, so the files are found on disk, not asked of git.
_NOT_OURS = {".venv", ".tools", "var", "node_modules", "__pycache__", "test-results"}


def _python_files() -> list[Path]:
    found = []
    for path in REPO.rglob("*.py"):
        relative = path.relative_to(REPO)
        if not any(part in _NOT_OURS or part.startswith(".") for part in relative.parts[:-1]):
            found.append(relative)
    return found


def test_no_module_is_longer_than_the_limit() -> None:
    long = {str(path): lines for path in _python_files()
            if (lines := len((REPO / path).read_text().splitlines())) > MODULE_LINES_MAX}
    assert long == {}, f"modules over {MODULE_LINES_MAX} lines: split them by what they hold"


def test_no_package_holds_more_modules_than_the_limit() -> None:
    counts = Counter(str(path.parent) for path in _python_files() if path.parent.name != "migrations")
    crowded = {directory: count for directory, count in counts.items() if count > PACKAGE_MODULES_MAX}
    assert crowded == {}, f"directories with more than {PACKAGE_MODULES_MAX} modules: group them in subpackages"


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Each group of modules that import one another, however long the way round (Tarjan's algorithm)."""
    modules = {m for m in graph.modules if ".migrations" not in m}
    edges = {m: [n for n in graph.find_modules_directly_imported_by(m) if n in modules] for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:
        # Iterative, so that a long chain of imports does not reach Python's recursion limit.
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(edges[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_of_the_portal_imports_one_that_imports_it_back() -> None:
    assert _cycles(grimp.build_graph(*PORTAL_PACKAGES)) == []


def test_the_cycle_check_finds_a_cycle(tmp_path: Path, monkeypatch) -> None:
    package = tmp_path / "loop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from loop import b\n")
    (package / "b.py").write_text("from loop import c\n")
    (package / "c.py").write_text("from loop import a\n")
    (package / "d.py").write_text("from loop import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _cycles(grimp.build_graph("loop", cache_dir=None)) == [["loop.a", "loop.b", "loop.c"]]
