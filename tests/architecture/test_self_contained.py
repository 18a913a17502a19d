"""Nothing in the repository reads from outside it: a fresh clone, alone in its directory, has every
file its code and tests use (.ci/run also runs the suite from such a copy)."""

from __future__ import annotations

import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# A path that climbs out of the repository: "../shared", "REPO.parent / ...", "parents[3]" from a
# module two levels down, and the like.
OUTSIDE = re.compile(r"\.\./shared|\.parent\s*/\s*[\"']shared|REPO\.parent\b|BASE_DIR\.parent\b")


# What is not the repository's own text: installed environments, runtime state, caches, Auth0's specs.
SKIPPED_DIRS = {".git", ".venv", ".tools", "var", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache",
                "spec"}


def _repository_files() -> list[Path]:
    """Every file of the working tree (CI runs from a copy without .git, so the tree, not git, says)."""
    found = []
    for folder, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        found += [Path(folder) / name for name in files]
    return found


def test_no_file_reaches_outside_the_repository() -> None:
    offenders = []
    for path in _repository_files():
        if path.resolve() == Path(__file__).resolve() or path.suffix in {".lock", ".pyc", ".png", ".sqlite3"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        name = path.relative_to(REPO)
        offenders += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert offenders == []


def test_the_check_sees_the_repository() -> None:
    """The walk is not vacuous: it reaches the code, the tests and the CI script."""
    names = {str(p.relative_to(REPO)) for p in _repository_files()}
    assert {"dev.py", ".ci/run", "portal/operations.py", "tests/conftest.py"} <= names
