"""The import contracts in pyproject.toml ([tool.importlinter]) hold, and each one fails when broken.

.ci/run runs ``lint-imports`` too; these tests also show that the contracts are not vacuous: a copy of
the project with one forbidden import added is refused, naming the broken contract.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ["config", "api", "scim", "onboarding", "history", "signin", "users", "app_roles", "sso", "domains",
            "organizations", "auth0_gateway", "portal", "auth0_emulator"]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=root, capture_output=True, text=True, timeout=120,
                          check=False)


def test_the_project_keeps_every_import_contract() -> None:
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("layers")
    shutil.copy(REPO / "pyproject.toml", root)
    for package in PACKAGES:
        shutil.copytree(REPO / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    return root


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("portal/audit.py", "from organizations.models import Organization", "Layers"),
        ("organizations/selectors.py", "from users.directory import selectors", "Layers"),
        ("users/views/user_page.py", "from config import urls", "Layers"),
        ("organizations/views.py", "import auth0", "Only auth0_gateway imports the Auth0 SDK"),
        ("portal/operations.py", "from auth0.management.client import Auth0", "Only auth0_gateway imports"),
        ("users/views/user_page.py", "import auth0_emulator.directory", "The portal never imports the Auth0 emulator"),
        ("auth0_emulator/store.py", "import portal.models", "The Auth0 emulator imports nothing of the portal"),
        ("auth0_gateway/client.py", "from organizations.models import Organization", "Layers"),
        ("portal/operations.py", "from auth0_gateway import gateway", "Layers"),
        ("users/views/user_page.py", "from history import operation_views", "Layers"),
        ("users/directory/mirror.py", "from users.acts import invite", "users: its rooms import downwards only"),
        ("users/acts/invite.py", "from users.views import user_page", "users: its rooms import downwards only"),
        ("users/views/user_page.py", "from users.profile import acts", "users: its rooms import downwards only"),
        ("organizations/selectors.py", "from app_roles import catalog", "Layers"),
        ("app_roles/catalog.py", "from history import retry", "Layers"),
        ("domains/selectors.py", "from signin import views", "Layers"),
        ("organizations/selectors.py", "from domains import selectors", "Layers"),
        ("signin/views.py", "from app_roles import catalog", "signin imports neither users nor application roles"),
        ("app_roles/views.py", "from signin import views", "Neither users nor application roles imports signin"),
        ("app_roles/holdings.py", "from app_roles import acts", "users: its rooms import downwards only"),
        ("app_roles/acts.py", "from users.views import user_page", "users: its rooms import downwards only"),
        ("users/acts/invite.py", "from scim import sync", "Layers"),
        ("scim/views.py", "from api import views", "Layers"),
    ],
    ids=["base-imports-app", "organizations-imports-users", "app-imports-root", "view-imports-sdk",
         "base-imports-sdk", "portal-imports-emulator", "emulator-imports-portal", "gateway-imports-app",
         "base-imports-gateway", "users-imports-history", "directory-imports-acts", "acts-import-pages",
         "pages-import-profile", "organizations-import-app-roles", "app-roles-import-history",
         "domains-import-signin", "organizations-import-domains",
         "signin-imports-app-roles", "app-roles-import-signin", "app-roles-mirror-imports-acts",
         "app-roles-acts-import-pages", "acts-import-scim", "scim-imports-api"],
)
def test_a_forbidden_import_breaks_its_contract(project_copy: Path, module: str, line: str, contract: str) -> None:
    path = project_copy / module
    original = path.read_text()
    path.write_text(f"{original}\n{line}  # added by the test\n")
    try:
        result = _lint_imports(project_copy)
    finally:
        path.write_text(original)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if " BROKEN" in line]
    assert len(broken) == 1 and broken[0].startswith(contract), result.stdout
