#!/usr/bin/env python3
"""The project's two commands, for a fresh machine with nothing but Python 3.11+.

    python3 dev.py up      # the whole product on embedded defaults: web, worker, beat, Auth0 emulator
    python3 dev.py test    # the test suite (pass pytest options after it, e.g. -k health)

Both first make sure the environment matches uv.lock: uv itself is installed from PyPI into .tools/,
then `uv sync --locked` builds .venv/. Nothing is installed outside the repository, except Debian's
chromium, xmlsec1, redis-server and gettext for the tests when missing and we are allowed to (root with apt-get).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".tools"
VENV = ROOT / ".venv"
UV_VERSION = "0.13.8"
CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium")


def _bin(env_dir: Path, name: str) -> str:
    return str(env_dir / ("Scripts" if os.name == "nt" else "bin") / name)


def _run(cmd: list[str], **kwargs) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kwargs)


def environment_sync() -> None:
    """Install uv into .tools/ once, then make .venv/ match uv.lock exactly."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file must explain itself on older Pythons
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    uv = _bin(TOOLS, "uv")
    if not Path(uv).exists():
        venv.create(TOOLS, with_pip=True, clear=True)
        _run([_bin(TOOLS, "python"), "-m", "pip", "install", "--quiet", f"uv=={UV_VERSION}"])
    env = {**os.environ, "UV_PYTHON": sys.executable, "UV_PYTHON_DOWNLOADS": "never",
           "UV_PROJECT_ENVIRONMENT": str(VENV)}
    _run([uv, "sync", "--locked", "--quiet"], env=env)


def product_env() -> dict[str, str]:
    """The environment every product process runs with: the project's venv first on PATH."""
    return {**os.environ, "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1"}


def chromium_ensure() -> None:
    """Browser tests drive Debian's chromium; install it when missing and we can."""
    if Path(CHROMIUM).exists():
        return
    if not _debian_install("chromium"):
        print(f"warning: {CHROMIUM} is missing; browser tests will fail. "
              "Install Debian's chromium (sudo apt-get install chromium) or set PLAYWRIGHT_CHROMIUM.",
              file=sys.stderr)


def redis_server_ensure() -> None:
    """The reliability tests start Redis servers of their own (and restart them); install Debian's
    redis-server when it is missing and we can. Nothing is started here."""
    if shutil.which("redis-server") or Path("/usr/bin/redis-server").exists():
        return
    if not _debian_install("redis-server"):
        print("warning: redis-server is missing; the reliability tests will fail. "
              "Install Debian's redis-server (sudo apt-get install redis-server).", file=sys.stderr)


def xmlsec1_ensure() -> None:
    """The emulator's SAML connections (pysaml2) sign and check XML with Debian's xmlsec1; install it when
    it is missing and we can."""
    if shutil.which("xmlsec1") or Path("/usr/bin/xmlsec1").exists():
        return
    if not _debian_install("xmlsec1"):
        print("warning: xmlsec1 is missing; the SAML sign-in tests will fail. "
              "Install Debian's xmlsec1 (sudo apt-get install xmlsec1).", file=sys.stderr)


def gettext_ensure() -> None:
    """The translation catalogs are gathered and checked with GNU gettext (xgettext, msgfmt); install Debian's
    gettext when it is missing and we can."""
    if shutil.which("msgfmt"):
        return
    if not _debian_install("gettext"):
        print("warning: GNU gettext is missing; the catalog checks will fail. "
              "Install Debian's gettext (sudo apt-get install gettext).", file=sys.stderr)


def messages_compile() -> None:
    """Compile the translation catalogs (locale/<language>/LC_MESSAGES/django.po) into the .mo files Django reads,
    as ``manage.py compilemessages`` does; built, never committed. Without GNU gettext the pages stay in English."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        print("warning: GNU gettext is missing; pages and emails will be in English only.", file=sys.stderr)
        return
    for po in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
        _run([msgfmt, "--check", "-o", str(po.with_suffix(".mo")), str(po)])


def _debian_install(package: str) -> bool:
    """apt-get install ``package`` when running as root on Debian; whether it was attempted."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run(["apt-get", "update", "-qq"], env=env)
    _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", package], env=env)
    return True


def command_up() -> int:
    environment_sync()
    gettext_ensure()
    messages_compile()
    # The local emulator may push changes to the portal on this machine, over plain http. Only here:
    # the tests' emulators are Auth0-strict unless a test asks otherwise.
    env = {**product_env(),
           "EMULATOR_ALLOW_HTTP_DESTINATIONS": os.environ.get("EMULATOR_ALLOW_HTTP_DESTINATIONS", "1")}
    _run([_bin(VENV, "python"), "manage.py", "prepare", "--demo"], env=env)
    print("\nStarting web, worker, beat and the Auth0 emulator (Ctrl-C stops them all).", flush=True)
    manager = subprocess.Popen([_bin(VENV, "python"), "-m", "config.processes", "Procfile"], cwd=ROOT, env=env)
    while True:
        try:
            return manager.wait()
        except KeyboardInterrupt:
            # Ctrl-C reached the process manager too: wait while it stops every process gently.
            continue


def command_test(args: list[str]) -> int:
    environment_sync()
    chromium_ensure()
    redis_server_ensure()
    xmlsec1_ensure()
    gettext_ensure()
    messages_compile()
    return subprocess.call([_bin(VENV, "pytest"), *args], cwd=ROOT, env=product_env())


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"up", "test"}:
        print(__doc__)
        return 2
    if argv[0] == "up":
        return command_up()
    return command_test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
