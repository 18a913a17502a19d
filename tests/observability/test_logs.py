"""Logs: JSON lines in production and plain lines otherwise, each with the work's context (the request's id and
organization, carried in a task's message to the worker, which adds its task and operation), and never a
secret: a password-ticket URL's ticket, a token, a client secret, a password, the configured secrets."""

from __future__ import annotations

import io
import json
import logging

import pytest
from celery.signals import before_task_publish
from django.test import Client
from django.utils.module_loading import import_string

from portal.celery import app
from portal.models import Operation
from portal.observability.logs import CONTEXT_HEADER, context_bind, context_clear, logging_config, secrets_known
from portal.operations import operation_create, operation_enqueue_on_commit
from tests.factories import OrganizationFactory, RoleFactory, UserFactory

TICKET = "k2Yw9sDeQVXq2bmR7oYvL3JZ1234abcd"
TICKET_URL = f"https://example.eu.auth0.com/lo/reset?ticket={TICKET}#"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhdXRoMHwxMjMifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
BEARER = "opaque-access-token-0123456789"
CLIENT_SECRET = "m2m-client-secret-abcdefghijklmnop"
PASSWORD = "Correct-Horse-Battery-9"
DB_PASSWORD = "db-pass-8f7e6d5c"
CONFIGURED = "configured-secret-value-that-is-long"
SECRETS = [TICKET, JWT, BEARER, CLIENT_SECRET, PASSWORD, DB_PASSWORD, CONFIGURED]


class Captured:
    """The console handler as LOGGING builds it (its formatter and filters), writing to a buffer, on the root."""

    def __init__(self, log_format: str) -> None:
        config = logging_config(log_format=log_format, level="INFO")
        handler_config = config["handlers"]["console"]
        self.buffer = io.StringIO()
        self.handler = logging.StreamHandler(self.buffer)
        self.handler.setFormatter(import_string(config["formatters"][log_format]["()"])())
        for name in handler_config["filters"]:
            self.handler.addFilter(import_string(config["filters"][name]["()"])())
        self.root = logging.getLogger()
        self.level = self.root.level

    def __enter__(self) -> Captured:
        self.root.addHandler(self.handler)
        self.root.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc) -> None:
        self.root.removeHandler(self.handler)
        self.root.setLevel(self.level)

    @property
    def text(self) -> str:
        return self.buffer.getvalue()

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]


def _log_every_secret(log: logging.Logger) -> None:
    log.info("password change ticket %s sent to someone", TICKET_URL)
    log.info("calling Auth0 with headers %s", {"Authorization": f"Bearer {BEARER}", "Accept": "json"})
    log.warning("token request client_secret=%s&client_id=portal failed", CLIENT_SECRET)
    log.info("created user with %s", {"email": "a@b.test", "password": PASSWORD, "connection": "db"})
    log.info("id token %s", JWT)
    log.error("database postgres://portal:%s@db:5432/portal unreachable", DB_PASSWORD)
    log.info("the key is %s", CONFIGURED)
    log.info("an extra field", extra={"ticket_url": TICKET_URL, "client_secret": CLIENT_SECRET})
    try:
        raise RuntimeError(f"Auth0 said no to password={PASSWORD}")
    except RuntimeError:
        log.exception("the call failed")


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_no_secret_reaches_the_log(log_format: str) -> None:
    secrets_known([CONFIGURED])
    with Captured(log_format) as captured:
        _log_every_secret(logging.getLogger("portal.test"))
    text = captured.text
    assert text.count("\n") >= 9
    for secret in SECRETS:
        assert secret not in text, (secret, text)
    assert "[redacted]" in text
    # What is not secret stays readable.
    assert "https://example.eu.auth0.com/lo/reset?ticket=[redacted]" in text
    assert "a@b.test" in text and "client_id=portal" in text and "Auth0 said no" in text
    if log_format == "json":
        records = captured.records()
        assert records[0]["event"].startswith("password change ticket")
        assert {"timestamp", "level", "logger", "event"} <= records[0].keys()
        assert records[-1]["level"] == "error" and "RuntimeError" in records[-1]["exception"]


def test_plain_lines_stay_readable_and_carry_the_context() -> None:
    context_bind(request_id="req-123", organization="acme")
    try:
        with Captured("plain") as captured:
            logging.getLogger("portal.test").info("invited %s", "someone@acme.test")
    finally:
        context_clear()
    line = captured.text.strip()
    assert " INFO portal.test invited someone@acme.test [request_id=req-123 organization=acme]" in line
    assert not line.startswith("{")


@pytest.mark.django_db
def test_a_requests_log_lines_carry_its_id_and_organization() -> None:
    org_a, org_b = OrganizationFactory(slug="org-a"), OrganizationFactory(slug="org-b")
    admin_of_b = UserFactory()
    RoleFactory(organization=org_b, user_id=admin_of_b.auth0_user_id, role="admin")
    client = Client()
    client.force_login(admin_of_b)
    with Captured("json") as captured:
        response = client.get(f"/o/{org_a.slug}/", HTTP_X_REQUEST_ID="proxy-request-42")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "proxy-request-42"
    not_found = [r for r in captured.records() if r["logger"] == "django.request"]
    assert not_found and not_found[0]["request_id"] == "proxy-request-42"
    assert not_found[0]["organization"] == "org-a"
    # A request id that is not a plain token is replaced by one of the portal's.
    assert Client().get("/healthz", HTTP_X_REQUEST_ID="bad id\n{}")["X-Request-ID"].isalnum()


@pytest.mark.django_db
def test_the_context_goes_with_the_task_into_the_worker(django_capture_on_commit_callbacks) -> None:
    """The web side binds a request id and organization; queueing an operation adds its id to the message's
    headers (the real publish, to the test broker); the task run with those headers logs them with its own id."""
    org = OrganizationFactory(slug="acme")
    operation = operation_create(kind="user_block", actor=None, organization=org, target="auth0|someone")
    sent: list[dict] = []

    def record(headers=None, **kwargs):
        sent.append(dict(headers or {}))

    before_task_publish.connect(record, weak=False)
    context_bind(request_id="req-77", organization="acme")
    try:
        with Captured("json") as web, django_capture_on_commit_callbacks(execute=True):
            operation_enqueue_on_commit(operation)
    finally:
        context_clear()
        before_task_publish.disconnect(record)
    carried = sent[-1][CONTEXT_HEADER]
    assert carried == {"request_id": "req-77", "organization": "acme", "operation_id": str(operation.pk)}
    queued = [r for r in web.records() if r["event"].startswith(f"operation {operation.pk} queued")]
    assert queued and queued[0]["request_id"] == "req-77" and queued[0]["operation_id"] == str(operation.pk)

    # The worker: the operation has ended meanwhile, so its run only says so (no Auth0 call).
    Operation.objects.filter(pk=operation.pk).update(status=Operation.Status.SUCCEEDED)
    task = app.tasks[operation.task_name]
    with Captured("json") as worker:
        result = task.apply(args=[str(operation.pk)], headers={CONTEXT_HEADER: carried}, task_id="task-abc")
    assert result.successful()
    lines = [r for r in worker.records() if "nothing to do" in r["event"]]
    assert lines, worker.text
    assert lines[0]["request_id"] == "req-77" and lines[0]["organization"] == "acme"
    assert lines[0]["operation_id"] == str(operation.pk) and lines[0]["task_id"] == "task-abc"
