"""/metrics: never public (404 without METRICS_TOKEN, 401 without it or with a wrong one), and with it the
portal's own series, whose values are the database's (operations by kind and state, the oldest pending one,
the directory's freshness, failed webhook deliveries, bulk rows per minute), the shared budget's tokens, the
gateway's calls and 429s per endpoint group, and django-prometheus's requests and database series."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from auth0_gateway import Auth0Gateway, Auth0RateLimited
from onboarding.models import BulkJob, BulkRow
from organizations.models import ApiClient, ApiEvent, WebhookDelivery
from portal.models import Operation
from portal.observability.metrics import metrics_wsgi_app, registry_build
from portal.operations import operation_create, operation_fail, operation_succeed
from portal.ratelimit import Limit, RateLimiter, rate_limiter
from tests.contract.test_gateway import M2M_ID, M2M_SECRET, demo_user_id
from tests.factories import OrganizationFactory
from users.models import StreamEvent, SyncRun

TOKEN = "metrics-token-for-tests"  # noqa: S105


@pytest.fixture
def scrape(settings):
    settings.METRICS_TOKEN = TOKEN

    def get() -> dict[str, list]:
        response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/plain")
        return {family.name: family.samples for family in text_string_to_metric_families(response.content.decode())}

    return get


def _value(samples: list, **labels: str) -> float | None:
    found = [s.value for s in samples if all(s.labels.get(k) == v for k, v in labels.items())]
    return found[0] if found else None


# -- never public -------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_without_a_configured_token_metrics_are_off(settings) -> None:
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics").status_code == 404
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer", f"Bearer {TOKEN}x"])
def test_a_missing_or_wrong_token_is_401(settings, authorization) -> None:
    settings.METRICS_TOKEN = TOKEN
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = Client().get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"portal_" not in response.content


@pytest.mark.django_db
def test_metrics_answer_a_pod_address_over_plain_http(settings) -> None:
    """Prometheus scrapes the pod by its IP over HTTP: neither the host check nor the HTTPS redirect stops it."""
    settings.METRICS_TOKEN = TOKEN
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = Client(HTTP_HOST="10.1.2.3:8000").get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert b"portal_operations" in response.content


# -- the series match the database --------------------------------------------------------------------------
@pytest.mark.django_db
def test_operations_by_kind_and_state_match_the_database(scrape) -> None:
    org = OrganizationFactory()
    made = [operation_create(kind=kind, actor=None, organization=org, target=f"t{i}")
            for i, kind in enumerate(["user_invite", "user_invite", "user_invite", "user_block", "user_block",
                                      "role_grant"])]
    Operation.objects.filter(pk=made[1].pk).update(status=Operation.Status.RUNNING)
    Operation.objects.filter(pk__in=[made[2].pk, made[3].pk]).update(status=Operation.Status.FAILED)
    Operation.objects.filter(pk=made[4].pk).update(status=Operation.Status.SUCCEEDED)
    oldest = timezone.now() - timedelta(minutes=7)
    Operation.objects.filter(pk=made[0].pk).update(created_at=oldest)
    series = scrape()
    operations = series["portal_operations"]
    for kind in ("user_invite", "user_block", "role_grant", "user_delete"):
        for state in ("pending", "running", "failed"):
            expected = Operation.objects.filter(kind=kind, status=state).count()
            assert _value(operations, kind=kind, state=state) == expected, (kind, state)
    assert _value(operations, kind="user_invite", state="pending") == 1
    assert _value(operations, kind="user_block", state="failed") == 1
    assert _value(operations, kind="role_grant", state="pending") == 1
    assert _value(operations, state="succeeded") is None  # counted as they finish, by the workers
    age = _value(series["portal_operations_oldest_pending_age_seconds"])
    assert 7 * 60 <= age < 8 * 60


@pytest.mark.django_db
def test_without_pending_operations_the_oldest_age_is_zero(scrape) -> None:
    assert _value(scrape()["portal_operations_oldest_pending_age_seconds"]) == 0


@pytest.mark.django_db
def test_finished_operations_are_counted_when_their_outcome_commits(django_capture_on_commit_callbacks) -> None:
    org = OrganizationFactory()
    name = "portal_operations_finished_total"
    before = {o: REGISTRY.get_sample_value(name, {"kind": "user_block", "outcome": o}) or 0
              for o in ("succeeded", "failed")}
    with django_capture_on_commit_callbacks(execute=True):
        operation_succeed(operation_create(kind="user_block", actor=None, organization=org, target="a"), {})
        operation_succeed(operation_create(kind="user_block", actor=None, organization=org, target="b"), {})
        operation_fail(operation_create(kind="user_block", actor=None, organization=org, target="c"), "no")
    assert REGISTRY.get_sample_value(name, {"kind": "user_block", "outcome": "succeeded"}) == before["succeeded"] + 2
    assert REGISTRY.get_sample_value(name, {"kind": "user_block", "outcome": "failed"}) == before["failed"] + 1


@pytest.mark.django_db
def test_the_budget_shows_each_groups_tokens(scrape, settings) -> None:
    rate_limiter.cache_clear()
    # Slow refills (a token in 30 and 40 s): the scrape, however slow its first request, sees the tokens taken.
    settings.AUTH0_RATE_LIMITS = "write_users=20/2, other=10/1.5"
    settings.AUTH0_RATE_LIMIT_STORE = "database"
    settings.AUTH0_RATE_MARGIN_SECONDS = 0.5  # one token of each burst kept unspent
    try:
        limiter = rate_limiter()
        for _ in range(3):
            assert limiter.take("write_users").ok
        series = scrape()
    finally:
        rate_limiter.cache_clear()
    assert 16 <= _value(series["portal_auth0_budget_tokens"], group="write_users") < 17
    assert _value(series["portal_auth0_budget_tokens"], group="other") == 9
    assert _value(series["portal_auth0_budget_burst"], group="write_users") == 20
    assert _value(series["portal_auth0_budget_per_minute"], group="other") == 1.5


@pytest.mark.django_db
def test_the_directorys_freshness_is_the_newest_sync_or_pushed_event(scrape) -> None:
    assert scrape().get("portal_directory_freshness_seconds", []) == []  # before the first sync or event
    now = timezone.now()
    SyncRun.objects.create(kind=SyncRun.Kind.FULL, status=SyncRun.Status.SUCCEEDED,
                           finished_at=now - timedelta(hours=3))
    SyncRun.objects.create(kind=SyncRun.Kind.DELTA, status=SyncRun.Status.SUCCEEDED,
                           finished_at=now - timedelta(minutes=4))
    series = scrape()
    assert 4 * 60 <= _value(series["portal_directory_freshness_seconds"]) < 5 * 60
    assert 3 * 3600 <= _value(series["portal_directory_update_age_seconds"], source="full") < 3 * 3600 + 60
    event = StreamEvent.objects.create(event_id="evt-1", kind="user.updated", user_id="auth0|x")
    StreamEvent.objects.filter(pk=event.pk).update(received_at=now - timedelta(seconds=30))
    series = scrape()
    assert 30 <= _value(series["portal_directory_freshness_seconds"]) < 90
    assert 30 <= _value(series["portal_directory_update_age_seconds"], source="stream") < 90


@pytest.mark.django_db
def test_failed_webhook_deliveries_are_counted(scrape) -> None:
    org = OrganizationFactory()
    client = ApiClient.objects.create(client_id="tool", name="Tool")
    event = ApiEvent.objects.create(organization=org, type="user.updated", data={})
    for status in ("failed", "failed", "delivered", "pending"):
        WebhookDelivery.objects.create(client=client, event=event, url="https://tool.example/hook", status=status)
    expected = WebhookDelivery.objects.filter(status="failed").count()
    assert _value(scrape()["portal_webhook_deliveries_failed"]) == expected == 2


@pytest.mark.django_db
def test_bulk_rows_per_minute_of_running_jobs(scrape) -> None:
    org = OrganizationFactory()
    job = BulkJob.objects.create(organization=org, actor_user_id="auth0|admin", status=BulkJob.Status.RUNNING,
                                 total_rows=10, started_at=timezone.now() - timedelta(minutes=10))
    now = timezone.now()
    for line, (outcome, ago) in enumerate([("done", 10), ("done", 50), ("failed", 100), ("done", 600),
                                           ("queued", None)], start=2):
        BulkRow.objects.create(job=job, line=line, email=f"p{line}@x.test", action=BulkRow.Action.INVITE,
                               outcome=outcome, finished_at=now - timedelta(seconds=ago) if ago else None)
    series = scrape()
    assert _value(series["portal_bulk_jobs_running"]) == 1
    # Three rows finished within the last two minutes: 1.5 a minute.
    assert _value(series["portal_bulk_rows_per_minute"]) == 1.5


@pytest.mark.django_db
def test_django_prometheus_series_are_shown(scrape) -> None:
    Client().get("/healthz")
    series = scrape()
    requests = series["django_http_requests_total_by_view_transport_method"]
    assert (_value(requests, view="healthz", method="GET") or 0) >= 1
    assert any(name.startswith("django_db_execute") for name in series)
    assert all(_value(series["portal_metrics_source_failed"], source=s) == 0
               for s in ("operations_metrics", "budget_metrics", "directory_metrics", "webhook_metrics",
                         "bulk_metrics"))


# -- the gateway's calls, at its single HTTP choke point --------------------------------------------------------
class _TinyStore:
    """A budget of a fixed number of tokens that Auth0's headers do not lower, so the tenant's own limit is
    met (as when another application spends the same tenant's budget)."""

    def __init__(self, tokens: int) -> None:
        self.left = tokens

    def take(self, group, limit):
        from portal.ratelimit import Taken

        if self.left >= 1:
            self.left -= 1
            return Taken(True)
        return Taken(False, 60.0)

    def tokens(self, group, limit):
        return float(self.left)

    def lower(self, group, limit, tokens):
        pass

    def refuse(self, group, limit, tokens, at):
        pass

    def refused_at(self, group, limit):
        return 0.0

    def queue(self, group, limit, wait):
        return wait


def test_management_calls_and_429s_are_counted_per_group(emulator_factory) -> None:
    limited = emulator_factory("--seed", "demo", "--rate-limit", "read_users=2/6")
    user = demo_user_id("user01@acme.test")
    plenty = Limit(burst=1000, per_minute=60000)

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = (sample("portal_auth0_management_calls_total", group="read_users", code="200"),
              sample("portal_auth0_management_calls_total", group="read_users", code="429"),
              sample("portal_auth0_management_rate_limited_total", group="read_users"),
              sample("portal_auth0_budget_held_total", group="read_users"))
    gw = Auth0Gateway(base_url=limited.url, domain=limited.domain, client_id=M2M_ID, client_secret=M2M_SECRET,
                      httpx_client=httpx.Client(timeout=10), limiter=RateLimiter(_TinyStore(1000), {"other": plenty}))
    gw.user_get(user_id=user)
    gw.user_get(user_id=user)
    with pytest.raises(Auth0RateLimited):
        gw.user_get(user_id=user)  # Auth0's own limit: a 429
    gw.close()
    held = Auth0Gateway(base_url=limited.url, domain=limited.domain, client_id=M2M_ID, client_secret=M2M_SECRET,
                        httpx_client=httpx.Client(timeout=10), limiter=RateLimiter(_TinyStore(0), {"other": plenty}))
    with pytest.raises(Auth0RateLimited):
        held.user_get(user_id=user)  # the budget holds it back: no call
    held.close()
    after = (sample("portal_auth0_management_calls_total", group="read_users", code="200"),
             sample("portal_auth0_management_calls_total", group="read_users", code="429"),
             sample("portal_auth0_management_rate_limited_total", group="read_users"),
             sample("portal_auth0_budget_held_total", group="read_users"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 1, 1]


# -- a worker pod's metrics port -------------------------------------------------------------------------------
def test_the_worker_metrics_port_asks_for_the_same_token() -> None:
    app = metrics_wsgi_app(TOKEN, registry_build)

    def get(authorization: str | None) -> tuple[str, bytes]:
        answered = {}

        def start_response(status, headers):
            answered["status"] = status

        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/metrics"}
        if authorization:
            environ["HTTP_AUTHORIZATION"] = authorization
        body = b"".join(app(environ, start_response))
        return answered["status"], body

    assert get(None)[0].startswith("401")
    assert get("Bearer nope")[0].startswith("401")
    status, body = get(f"Bearer {TOKEN}")
    assert status.startswith("200")
    assert b"portal_auth0_management_calls" in body
    assert b"portal_operations{" not in body  # the database's series are the web process's alone
    assert metrics_wsgi_app("", registry_build)({"REQUEST_METHOD": "GET"}, lambda s, h: None) == [b"404 Not Found"]
    assert app({"REQUEST_METHOD": "GET", "PATH_INFO": "/healthz/live"}, lambda s, h: None) == [b"ok"]
