"""Events and webhooks: an operation that finishes, or a user the directory writes or deletes, is an event
of its organization; the feed /api/v1/events/ gives a client the events of its organizations after a
cursor; a client with a webhook gets each one POSTed, signed by the Standard Webhooks scheme with its
own secret (shown once), by a task that retries a receiver that does not take it and then gives up; a
company admin sees the deliveries and sends one again. Against a local HTTP receiver, on this machine: these
tests allow loopback webhooks (PORTAL_WEBHOOK_ALLOW_LOOPBACK); the address policy has its own tests
(tests/organizations/test_webhook_addresses.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from standardwebhooks import Webhook

from organizations.models import ApiEvent, WebhookDelivery
from organizations.selectors import api_client_principal, principal_for_user_id
from organizations.tasks import WEBHOOK_RETRIES, api_events_prune, webhook_deliver
from organizations.webhooks.services import webhook_configure, webhook_redeliver
from portal.models import AuditEvent, OperationKind
from portal.operations import operation_create, operation_fail, operation_succeed
from tests.emulator.receiver import Receiver
from tests.factories import CompanyAdminFactory, OrganizationFactory, UserFactory
from tests.support.api_tokens import ACME_TOOL_ID, ACME_TOOL_SECRET, register, tool_token
from tests.support.outbound import PUBLIC_ADDRESS, dns_fake
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_user_write_through, directory_users_delete

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback_webhooks_allowed(settings) -> None:
    settings.PORTAL_WEBHOOK_ALLOW_LOOPBACK = True


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def orgs():
    return OrganizationFactory(slug="org-a"), OrganizationFactory(slug="org-b")


def _finish(organization, *, failed: bool = False):
    operation = operation_create(kind=OperationKind.USER_BLOCK, actor=None, organization=organization,
                                 target="auth0|x", payload={})
    (operation_fail(operation, "Auth0 said no") if failed else operation_succeed(operation))
    return operation


def _hooked(receiver, organizations=None, client_id="portal-tool-dev"):
    client = register(client_id, organizations=organizations)
    secret = webhook_configure(actor=None, client=client, url=receiver.url + "/hook")
    return client, secret


def _deliver_all(callbacks) -> None:
    """Run what was queued on commit as the worker would: each delivery's task with .apply()."""
    for delivery in WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING):
        webhook_deliver.apply(args=[delivery.pk])


def test_a_finished_operation_is_posted_signed_to_the_clients_of_its_organization(
    orgs, receiver, django_capture_on_commit_callbacks
) -> None:
    org_a, org_b = orgs
    client_a, secret = _hooked(receiver, [org_a])
    assert secret.startswith("whsec_")
    _hooked(receiver, [org_b], client_id="portal-tool-acme-dev")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        operation = _finish(org_a)
    _deliver_all(callbacks)
    assert len(receiver.requests) == 1  # org-b's client hears nothing of org-a
    sent = receiver.requests[0]
    payload = Webhook(secret).verify(sent.body, sent.headers)  # raises unless signed with the client's secret
    event = ApiEvent.objects.get()
    assert sent.headers["webhook-id"] == event.message_id == payload["id"]
    assert payload["type"] == "operation.finished" and payload["organization"] == "org-a"
    assert payload["data"]["operation"]["id"] == str(operation.pk)
    assert payload["data"]["operation"]["status"] == "succeeded"
    delivery = WebhookDelivery.objects.get(client=client_a)
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 1, 200)


def test_a_receiver_that_fails_is_tried_again_then_given_up(orgs, receiver,
                                                             django_capture_on_commit_callbacks) -> None:
    org_a, _ = orgs
    _hooked(receiver, [org_a])
    receiver.fail_next = 2
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _finish(org_a, failed=True)
    _deliver_all(callbacks)  # .apply() runs the retries at once (their countdown is the worker's)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert [r.status for r in receiver.requests] == [500, 500, 200]
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1  # one message, three attempts

    receiver.fail_always = True
    with django_capture_on_commit_callbacks(execute=False):
        _finish(org_a)
    failing = WebhookDelivery.objects.get(status="pending")
    webhook_deliver.apply(args=[failing.pk])
    failing.refresh_from_db()
    assert (failing.status, failing.attempts, failing.response_status) == ("failed", WEBHOOK_RETRIES + 1, 500)
    assert "Gave up after" in failing.last_error


def test_users_the_directory_writes_or_deletes_are_events_of_their_organizations(orgs) -> None:
    org_a, org_b = orgs
    user = auth0_user(connection=org_a.connection_name, email="someone@org-a.test")
    directory_user_write_through(user)
    directory_users_delete([user["user_id"]])
    events = list(ApiEvent.objects.values_list("type", "organization__slug", "data"))
    assert events == [("user.changed", "org-a", {"user_id": user["user_id"]}),
                      ("user.deleted", "org-a", {"user_id": user["user_id"]})]


def test_the_feed_gives_each_client_its_organizations_events_after_a_cursor(orgs, api, emulator) -> None:
    org_a, org_b = orgs
    for organization in (org_a, org_b, org_a):
        _finish(organization)
    register(organizations=None)
    register(ACME_TOOL_ID, organizations=[org_b])
    company = api(tool_token(emulator))
    first = company.get("/api/v1/events/", {"size": 2}).json()
    assert [e["organization"] for e in first["results"]] == ["org-a", "org-b"]
    rest = company.get("/api/v1/events/", {"after": first["next_cursor"]}).json()
    assert [e["organization"] for e in rest["results"]] == ["org-a"]
    caught_up = company.get("/api/v1/events/", {"after": rest["next_cursor"]}).json()
    assert caught_up == {"results": [], "next_cursor": rest["next_cursor"]}
    only_b = api(tool_token(emulator, ACME_TOOL_ID, ACME_TOOL_SECRET)).get("/api/v1/events/").json()
    assert [e["organization"] for e in only_b["results"]] == ["org-b"]
    bad = company.get("/api/v1/events/", {"after": "evt_1"})
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["after"]


def test_the_secret_is_made_once_and_only_for_an_address_that_may_receive_it(orgs, receiver, monkeypatch) -> None:
    dns_fake(monkeypatch).names.update({"tools.example.test": [PUBLIC_ADDRESS], "x.example.test": [PUBLIC_ADDRESS]})
    client = register(organizations=[orgs[0]])
    with pytest.raises(ValidationError) as refused:
        webhook_configure(actor=None, client=client, url="http://tools.example.test/hook")
    assert list(refused.value.message_dict) == ["webhook_url"]
    secret = webhook_configure(actor=None, client=client, url="https://tools.example.test/hook")
    assert secret and webhook_configure(actor=None, client=client, url="https://tools.example.test/other") is None
    rotated = webhook_configure(actor=None, client=client, url="https://tools.example.test/other", rotate=True)
    assert rotated and rotated != secret
    with pytest.raises(PermissionDenied):  # a tool does not hand out its own keys
        webhook_configure(actor=api_client_principal(client), client=client, url="https://x.example.test/")
    assert AuditEvent.objects.filter(action="api_client.webhook_changed").count() == 3


def test_the_delivery_log_page_and_sending_again(orgs, receiver, client, django_capture_on_commit_callbacks) -> None:
    org_a, _ = orgs
    api_client, _ = _hooked(receiver, [org_a])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _finish(org_a)
    _deliver_all(callbacks)
    admin = CompanyAdminFactory()
    client.force_login(UserFactory(auth0_user_id=admin.user_id))
    page = client.get(f"/api-clients/{api_client.pk}/webhook/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "An operation finished" in text and "Delivered" in text and "answered 200" in text
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sent = client.post(f"/api-clients/{api_client.pk}/deliveries/{delivery.pk}/redeliver/")
    assert sent.status_code == 302
    _deliver_all(callbacks)
    assert len(receiver.requests) == 2 and receiver.requests[0].body == receiver.requests[1].body
    assert WebhookDelivery.objects.filter(status="delivered").count() == 2
    # The page's form: a bad address beside the field, input kept; a good one shows the new secret once.
    bad = client.post(f"/api-clients/{api_client.pk}/webhook/", {"webhook_url": "ftp://nope"})
    assert bad.status_code == 400 and "Enter an https:// address" in bad.content.decode()
    assert 'value="ftp://nope"' in bad.content.decode()
    rotated = client.post(f"/api-clients/{api_client.pk}/webhook/", {"webhook_url": receiver.url + "/hook",
                                                                     "rotate": "on"})
    assert rotated.status_code == 200 and "whsec_" in rotated.content.decode()
    with pytest.raises(PermissionDenied):
        webhook_redeliver(actor=api_client_principal(api_client), delivery=delivery)
    assert principal_for_user_id(admin.user_id).is_company_admin


def test_events_older_than_the_feed_keeps_are_forgotten_with_their_deliveries(orgs, receiver, settings) -> None:
    settings.PORTAL_API_EVENTS_KEEP_DAYS = 30
    _hooked(receiver, [orgs[0]])
    old, recent = _finish(orgs[0]), _finish(orgs[0])
    ApiEvent.objects.filter(data__operation__id=str(old.pk)).update(
        occurred_at=timezone.now() - dt.timedelta(days=31))
    assert api_events_prune.apply().get() == 1
    assert [e.data["operation"]["id"] for e in ApiEvent.objects.all()] == [str(recent.pk)]
    assert WebhookDelivery.objects.count() == 1
