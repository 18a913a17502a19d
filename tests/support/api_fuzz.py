"""Schemathesis against the REST API: the rules the schema cannot state, as a check, and the full run against the
real processes.

**The check.** ``positive_data_acceptance`` says a request the schema allows must not be refused. The API
keeps that for everything the schema can describe (every query parameter, header and body field is checked
against its declaration: api.query, api.serializers), but some refusals depend on what OpenAPI cannot say:
``WAIVERS`` lists each, with why. ``positive_data_acceptance_within_rules`` is the stock check with exactly
those excused: a 400 whose every field is waived and none of whose messages is a shape error (DRF's "Not a
valid string", "This field is required", a malformed email, ...), the 422 of an Idempotency-Key sent
before with another request, or the 409 of an invitation to an email that has one on its way. Anything else a
schema-valid request is refused with still fails.
tests/api/test_schema_fuzz.py runs it in the suite; the full run below runs it too (``--within-rules``).

**The full run.** The product's real processes (``python -m config.processes Procfile``: gunicorn, the Celery
worker and beat, the Auth0 emulator) on ports and a state directory of their own, so nothing of a developer's
``dev.py up`` is touched; the demo tenant; a company-wide tool's token from the emulator; then the
``schemathesis`` command with every check on, and the processes stopped::

    .venv/bin/python -m tests.support.api_fuzz --max-time 300                 # every stock check, as is
    .venv/bin/python -m tests.support.api_fuzz --max-time 300 --within-rules  # positive_data_acceptance waived as above

Options after ``--`` go to ``schemathesis run`` (e.g. ``-- --report ndjson``). The exit code is schemathesis'.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

REPO = Path(__file__).resolve().parents[2]

# Field (as the 400's errors name it) -> why a schema-valid value may still be refused there.
WAIVERS: dict[str, str] = {
    "after": "a cursor is signed (portal.keyset): a string of its alphabet is a cursor only if the API made it; "
             "and after with before is refused (OpenAPI cannot say that two parameters exclude each other)",
    "before": "the same as after",
    "login_to": "a range that ends before it starts (OpenAPI cannot relate two parameters)",
    "created_to": "the same as login_to",
    "occurred_to": "the same as login_to",
    "file": "a CSV file's content: OpenAPI can only say binary",
    "rows": "the rows as a whole: their columns are the organization's own metadata schema, and no metadata key "
            "or value may hold NUL (OpenAPI 3.0 cannot constrain an object's keys or an any-typed value)",
    "email": "the directory's state: already a member, invited to join, or blocked",
    "confirmation": "must be the user's own email (or id), which the schema cannot know",
    "values": "the organization's metadata schema",
    "name": "a domain name's form (labels, dots, a top-level domain) and whether another organization verified it",
    "issuer": "needed with strategy oidc only (OpenAPI 3.0 cannot make a field required by another's value)",
    "client_id": "the same as issuer", "client_secret": "the same as issuer",
    "sign_in_url": "needed with strategy samlp unless metadata_xml is given (the same), and https",
    "signing_cert": "the same as sign_in_url; and its content must be an X.509 certificate",
    "metadata": "SAML metadata's content: OpenAPI can only say string",
    "metadata_url": "what the address answers (and the outbound address policy)",
    "role_id": "an application role the organization may grant (its grantable set, chosen by company admins), "
               "that the person does not hold through its grant already and is not on its way (assign), or that "
               "the organization granted them (remove): state",
    "roles": "the same as role_id for the invitation's roles: the organization's grantable set",
    "app_role": "the user list's role filter takes a role the organization may grant: its grantable set",
    "non_field_errors": "a guardrail or the target's state: the last admin, an organization's only admin, "
                        "already blocked, nothing to change, an organization not connected yet",
}
# Metadata errors are keyed "<target>.<key>" by the organization's schema (users.acts.metadata).
WAIVED_PREFIXES = {
    "user_metadata.": "the organization's metadata schema: its keys, types and who may edit them",
    "app_metadata.": "the same as user_metadata",
}
# Messages that say the request's shape is wrong: never excused, whatever the field (the schema must say it).
SHAPE_MESSAGES = re.compile(r"^(Not a valid|This field is required|This field may not be|Ensure this field|"
                            r"Not a field of|Enter a valid email address|Expected a|Invalid data|Must be a valid|"
                            r"Give (true or false|one of|a whole number|a date|at least|\S+ once)|Keep it to |"
                            r"A NUL character|Keep the name)")


def waived(status: int, body: object) -> bool:
    """Whether a refusal of a schema-valid request is one of the rules above."""
    if not isinstance(body, dict):
        return False
    if status == 422:
        return body.get("error") == "idempotency_key_reused"  # the key's history is state
    if status == 409:
        return body.get("error") == "invitation_on_its_way"  # an earlier invitation to the same email is state
    errors = body.get("errors")
    if status != 400 or not isinstance(errors, dict) or not errors:
        return False
    for field, messages in errors.items():
        if field not in WAIVERS and not field.startswith(tuple(WAIVED_PREFIXES)):
            return False
        if any(SHAPE_MESSAGES.match(str(message)) for message in messages):
            return False
    return True


@schemathesis.check
def positive_data_acceptance_within_rules(ctx, response, case) -> bool | None:
    """``positive_data_acceptance`` with the refusals of ``WAIVERS`` excused (see the module)."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        try:
            body = response.json()
        except ValueError:
            raise
        if waived(response.status_code, body):
            return None
        raise


# -- the full run -----------------------------------------------------------------------------------------------
def _wait_for(url: str, timeout: float, headers: dict[str, str] | None = None) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as answer:  # noqa: S310 - loopback
                return answer.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _token(emulator_url: str) -> str:
    data = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": "portal-tool-dev",
                                   "client_secret": "portal-tool-dev-secret",
                                   "audience": "https://portal.local/api/"}).encode()
    with urllib.request.urlopen(f"{emulator_url}/oauth/token", data=data, timeout=10) as answer:  # noqa: S310
        return json.load(answer)["access_token"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-time", type=int, default=300, help="seconds schemathesis runs for")
    parser.add_argument("--port", type=int, default=8100, help="the portal's port")
    parser.add_argument("--emulator-port", type=int, default=8910)
    parser.add_argument("--var-dir", help="the run's state (default: a new temporary directory)")
    parser.add_argument("--within-rules", action="store_true",
                        help="positive_data_acceptance with the refusals the schema cannot state excused")
    parser.add_argument("schemathesis_args", nargs="*", help="after --: more options for schemathesis run")
    options = parser.parse_args(argv)
    var_dir = Path(options.var_dir or tempfile.mkdtemp(prefix="api-fuzz-"))
    portal, emulator = f"127.0.0.1:{options.port}", f"127.0.0.1:{options.emulator_port}"
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONUNBUFFERED": "1",
        "PORTAL_VAR_DIR": str(var_dir), "PORTAL_BIND": portal, "AUTH0_DOMAIN": emulator,
        "EMULATOR_PORT": str(options.emulator_port), "EMULATOR_DATA": str(var_dir / "auth0-emulator.sqlite3"),
        "EMULATOR_ALLOW_HTTP_DESTINATIONS": "1", "DEBUG": "false",
        # The fuzzer's own burst is not what this run is about (429 is documented on every operation anyway).
        "PORTAL_API_RATE": "1000000/min",
    }
    env.pop("DATABASE_URL", None)  # the run's own SQLite file in var_dir, never a shared database
    env.pop("CELERY_BROKER_URL", None)
    subprocess.run([sys.executable, "manage.py", "prepare", "--demo"], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    log = open(var_dir / "processes.log", "wb")  # noqa: SIM115 - open while the processes run
    processes = subprocess.Popen([sys.executable, "-m", "config.processes", "Procfile"], cwd=REPO, env=env,
                                 stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(f"http://{emulator}/.well-known/openid-configuration", 60)
        _wait_for(f"http://{portal}/healthz", 60)
        token = _token(f"http://{emulator}")
        # The worker creates the demo organizations: wait until the API lists them.
        deadline = time.monotonic() + 60
        while len(json.loads(_wait_for(f"http://{portal}/api/v1/organizations/", 30,
                                       {"Authorization": f"Bearer {token}"}))) < 3:
            if time.monotonic() > deadline:
                raise TimeoutError("the demo organizations were not created")
            time.sleep(1)
        command = [str(bin_dir / "schemathesis"), "run", f"http://{portal}/api/schema/",
                   "-H", f"Authorization: Bearer {token}", "--checks", "all", "--max-time", str(options.max_time)]
        # Run from the state directory, so schemathesis' and Hypothesis' files (.hypothesis/) stay out of the
        # repository; the hooks module is found through PYTHONPATH.
        run_env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))}
        if options.within_rules:
            command += ["--exclude-checks", "positive_data_acceptance"]
            run_env["SCHEMATHESIS_HOOKS"] = "tests.support.api_fuzz"
        print("+", " ".join(command).replace(token, "$TOKEN"), flush=True)
        return subprocess.call([*command, *options.schemathesis_args], cwd=var_dir, env=run_env)
    finally:
        # config.processes stops web, worker, beat and the emulator gently on SIGTERM.
        processes.send_signal(signal.SIGTERM)
        try:
            processes.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(processes.pid, signal.SIGKILL)
        log.close()
        print(f"The processes' log and state: {var_dir}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
