"""Where a webhook may lead: the public internet only (portal.outbound's policy), checked when a company admin
sets the URL and again, against the address actually connected to, at every delivery; loopback only where
PORTAL_WEBHOOK_ALLOW_LOOPBACK allows it, and never the portal's own services; no redirect followed, the
answer read to a cap and the exchange within one deadline. The resolver is the test's
(tests/support/outbound.py); the receivers are real sockets on loopback ports."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from organizations.models import ApiClient, ApiEvent, WebhookDelivery
from organizations.tasks import webhook_deliver
from organizations.webhooks import services as webhooks
from organizations.webhooks.services import api_events_record, webhook_configure, webhook_deliver_attempt
from portal.models import AuditEvent
from tests.emulator.receiver import Receiver
from tests.factories import CompanyAdminFactory, OrganizationFactory, UserFactory
from tests.support.api_tokens import register
from tests.support.outbound import PUBLIC_ADDRESS, AnswerServer, ConnectionListener, DnsFake, dns_fake

pytestmark = pytest.mark.django_db

# Every way of writing an address inside that the policy must see through, with what it says about it.
INSIDE_HOSTS = [
    ("127.0.0.1", "loopback"), ("127.1", "loopback"), ("2130706433", "loopback"), ("0177.0.0.1", "loopback"),
    ("0x7f000001", "loopback"), ("0x7f.0.0.1", "loopback"), ("localhost", "loopback"), ("[::1]", "loopback"),
    ("[::ffff:127.0.0.1]", "loopback"), ("10.0.0.1", "private"), ("172.16.0.1", "private"),
    ("192.168.1.1", "private"), ("169.254.169.254", "link-local"), ("100.64.0.1", "shared"),
    ("0.0.0.0", "unspecified"), ("[::]", "unspecified"),  # noqa: S104 - refused here, bound nowhere
    ("[fe80::1]", "link-local"), ("[fc00::1]", "private"),
    ("224.0.0.1", "multicast"), ("240.0.0.1", "reserved"),
    ("internal.example.test", "loopback"),  # a name the resolver says is 127.0.0.1
]
# What a name may come to resolve to by the time a delivery is sent (a resolver answers with addresses).
INSIDE_ADDRESSES = ["127.0.0.1", "::1", "::ffff:127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1",
                    "169.254.169.254", "100.64.0.1", "0.0.0.0", "::",  # noqa: S104 - refused, bound nowhere
                    "fe80::1", "fc00::1", "224.0.0.1",
                    "240.0.0.1"]


@pytest.fixture
def dns(monkeypatch) -> DnsFake:
    fake = dns_fake(monkeypatch)
    fake.names["hooks.example.test"] = [PUBLIC_ADDRESS]
    fake.names["internal.example.test"] = ["127.0.0.1"]
    return fake


@pytest.fixture
def loopback_refused(settings) -> None:
    """As in production: webhooks to the public internet only."""
    settings.PORTAL_WEBHOOK_ALLOW_LOOPBACK = False


@pytest.fixture
def loopback_allowed(settings) -> None:
    """As in the embedded profile: a receiver on this machine may have them."""
    settings.PORTAL_WEBHOOK_ALLOW_LOOPBACK = True


@pytest.fixture
def listener():
    running = ConnectionListener()
    yield running
    running.close()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def tool() -> ApiClient:
    return register(organizations=[OrganizationFactory(slug="org-a")])


def _event_delivery(tool: ApiClient) -> WebhookDelivery:
    """An event of the tool's organization, and its delivery to the tool's webhook, not sent yet."""
    api_events_record(type=ApiEvent.Type.USER_CHANGED, organizations=tool.organizations.all(),
                      data={"user_id": "auth0|someone"})
    return WebhookDelivery.objects.filter(client=tool).latest("pk")


# -- when the URL is set --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("host", "reason"), INSIDE_HOSTS)
def test_an_address_inside_is_refused_when_set_and_nothing_changes(tool, dns, loopback_refused, host: str,
                                                                   reason: str) -> None:
    secret = webhook_configure(actor=None, client=tool, url="https://hooks.example.test/hook")
    audited = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        webhook_configure(actor=None, client=tool, url=f"https://{host}:8443/hook", rotate=True)
    [message] = refused.value.message_dict["webhook_url"]
    assert reason in message and "the portal sends only to public internet addresses" in message
    tool.refresh_from_db()
    assert (tool.webhook_url, tool.webhook_secret) == ("https://hooks.example.test/hook", secret)
    assert AuditEvent.objects.count() == audited


def test_the_refusal_is_shown_beside_the_field_with_the_input_kept(tool, dns, loopback_refused) -> None:
    user = UserFactory()
    CompanyAdminFactory(user_id=user.auth0_user_id)
    browser = Client()
    browser.force_login(user)
    page = browser.post(f"/api-clients/{tool.pk}/webhook/",
                        {"webhook_url": "https://169.254.169.254/latest/meta-data/"})
    assert page.status_code == 400
    assert page.context["form"].errors["webhook_url"] == [
        "169.254.169.254 is a link-local address (where cloud metadata services answer): the portal sends only "
        "to public internet addresses."]
    assert 'value="https://169.254.169.254/latest/meta-data/"' in page.content.decode()
    tool.refresh_from_db()
    assert tool.webhook_url == ""


def test_loopback_is_taken_with_the_setting_and_refused_without_it(tool, dns, settings, receiver) -> None:
    url = receiver.url + "/hook"  # http://127.0.0.1:<port>/hook
    settings.PORTAL_WEBHOOK_ALLOW_LOOPBACK = True
    assert webhook_configure(actor=None, client=tool, url=url)
    assert webhook_deliver.apply(args=[_event_delivery(tool).pk]).get() == "delivered"
    assert len(receiver.requests) == 1

    settings.PORTAL_WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError, match=r"Enter an https:// address\."):
        webhook_configure(actor=None, client=tool, url=url)
    with pytest.raises(ValidationError, match="127.0.0.1 is a loopback address"):
        webhook_configure(actor=None, client=tool, url=url.replace("http://", "https://"))
    # The URL kept from when it was allowed is not sent to any more, and not tried again.
    delivery = _event_delivery(tool)
    assert webhook_deliver.apply(args=[delivery.pk]).get() == "failed"
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.last_error == "Not sent (refused by the address policy): Enter an https:// address."
    assert len(receiver.requests) == 1


def test_loopback_allowed_is_loopback_alone_and_not_the_portals_own_services(tool, dns, loopback_allowed,
                                                                            settings) -> None:
    settings.AUTH0_BASE_URL = "http://127.0.0.1:8900"  # the emulator beside the portal
    settings.PORTAL_BASE_URL = "http://localhost:8000"
    for url in ("http://127.0.0.1:8900/api/v2/users", "http://localhost:8900/emulator/clients/x",
                "http://[::1]:8000/hooks/auth0"):
        with pytest.raises(ValidationError, match="one of the portal's own services"):
            webhook_configure(actor=None, client=tool, url=url)
    for url in ("https://10.0.0.1/hook", "https://169.254.169.254/", "http://0.0.0.0:9000/"):
        with pytest.raises(ValidationError, match="the portal sends only to public internet addresses"):
            webhook_configure(actor=None, client=tool, url=url)
    tool.refresh_from_db()
    assert tool.webhook_url == ""


# -- when it is delivered ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("address", INSIDE_ADDRESSES)
def test_a_name_that_resolves_inside_by_delivery_time_is_not_sent(tool, dns, loopback_refused, listener,
                                                                  address: str) -> None:
    """DNS rebinding: public when the URL was set, inside when the event is sent. The delivery fails for good
    (the policy will refuse it again) and nothing reaches the loopback receiver the URL's port leads to."""
    webhook_configure(actor=None, client=tool, url=f"https://hooks.example.test:{listener.port}/hook")
    dns.names["hooks.example.test"] = [address]
    delivery = _event_delivery(tool)
    assert webhook_deliver.apply(args=[delivery.pk]).get() == "failed"
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.response_status is None
    assert delivery.last_error.startswith(
        f"Not sent (refused by the address policy): hooks.example.test resolves to {address}, which is ")
    assert not listener.connected()


def test_a_name_with_one_address_inside_among_public_ones_is_not_sent(tool, dns, loopback_allowed,
                                                                      receiver) -> None:
    webhook_configure(actor=None, client=tool, url="https://hooks.example.test/hook")
    dns.names["hooks.example.test"] = [PUBLIC_ADDRESS, "10.1.2.3"]
    delivery = _event_delivery(tool)
    assert webhook_deliver.apply(args=[delivery.pk]).get() == "failed"
    delivery.refresh_from_db()
    assert "resolves to 10.1.2.3, which is a private network address" in delivery.last_error


@pytest.mark.parametrize(("host", "reason"), [(h, r) for h, r in INSIDE_HOSTS if r == "loopback"])
def test_a_url_kept_from_before_the_policy_is_checked_when_delivering(tool, dns, loopback_refused, listener,
                                                                      host: str, reason: str) -> None:
    """A URL saved before these checks (or while loopback was allowed) is refused at delivery all the same,
    however its address is written."""
    ApiClient.objects.filter(pk=tool.pk).update(webhook_url=f"https://{host}:{listener.port}/hook",
                                                webhook_secret="whsec_" + "A" * 32)
    delivery = _event_delivery(tool)
    assert webhook_deliver.apply(args=[delivery.pk]).get() == "failed"
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Not sent (refused by the address policy): ")
    assert reason in delivery.last_error
    assert not listener.connected()


# -- what the receiver answers ------------------------------------------------------------------------------------
def test_a_redirect_is_not_followed_and_counts_as_not_taken(tool, dns, loopback_allowed) -> None:
    def redirect(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", "http://127.0.0.1:8900/api/v2/users")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    server = AnswerServer(redirect)
    try:
        webhook_configure(actor=None, client=tool, url=f"http://127.0.0.1:{server.port}/hook")
        delivery = _event_delivery(tool)
        with pytest.raises(webhooks.DeliveryFailed):
            webhook_deliver_attempt(delivery.pk)
    finally:
        server.close()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == ("pending", 302)
    assert delivery.last_error == "The receiver answered 302 (redirects are not followed)."
    assert [r["path"] for r in server.requests] == ["/hook"]


def test_a_huge_answer_is_not_read_whole(tool, dns, loopback_allowed) -> None:
    sent: list[int] = []

    def huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(200 * 1024 * 1024))
        handler.end_headers()
        for _ in range(3200):
            handler.wfile.write(b"x" * 65536)
            sent.append(65536)

    server = AnswerServer(huge)
    try:
        webhook_configure(actor=None, client=tool, url=f"http://127.0.0.1:{server.port}/hook")
        delivery = webhook_deliver_attempt(_event_delivery(tool).pk)
    finally:
        server.close()
    assert (delivery.status, delivery.response_status) == ("delivered", 200)
    assert sum(sent) < 200 * 1024 * 1024  # the receiver could not send it all: nobody read it


def test_an_answer_dripped_slowly_ends_at_the_delivery_timeout(tool, dns, loopback_allowed, monkeypatch) -> None:
    monkeypatch.setattr(webhooks, "DELIVERY_TIMEOUT_SECONDS", 1)

    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        for _ in range(200):  # 10 s: were there no deadline, each byte would still come within a read's timeout
            if server.stop.is_set():
                break
            handler.wfile.write(b"x")
            handler.wfile.flush()
            server.stop.wait(0.05)

    server = AnswerServer(drip)
    try:
        webhook_configure(actor=None, client=tool, url=f"http://127.0.0.1:{server.port}/hook")
        delivery = _event_delivery(tool)
        with pytest.raises(webhooks.DeliveryFailed):
            webhook_deliver_attempt(delivery.pk)
    finally:
        server.close()
    delivery.refresh_from_db()
    assert delivery.status == "pending"  # a slow receiver may be faster next time: tried again
    assert delivery.last_error == "No answer: The time allowed for the whole exchange ran out."
