"""The embedded mode's outbox: emails kept in the database instead of sent, listed and opened (their
links clickable, their HTML part served sandboxed); none of it exists when emails are really sent."""

from __future__ import annotations

import pytest
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from portal.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(settings) -> None:
    settings.EMAIL_BACKEND = "portal.outbox.backend.OutboxBackend"


def send() -> None:
    message = EmailMultiAlternatives("You are invited to Acme", "Choose your password:\nhttp://auth.test/lo/reset?t=1",
                                     "portal@example.test", ["ada@acme.test"])
    message.attach_alternative('<p style="color:red">Choose <a href="http://auth.test/lo/reset?t=1">here</a></p>',
                               "text/html")
    message.send()


def test_emails_are_kept_listed_and_opened(outbox, client: Client) -> None:
    send()
    kept = OutboxMessage.objects.get()
    assert (kept.recipients, kept.subject, kept.sender) == ("ada@acme.test", "You are invited to Acme",
                                                             "portal@example.test")
    listing = client.get("/outbox/").content.decode()
    assert "ada@acme.test" in listing and f'href="/outbox/{kept.pk}/"' in listing
    page = client.get(f"/outbox/{kept.pk}/").content.decode()
    assert '<a href="http://auth.test/lo/reset?t=1"' in page  # the link can be followed
    html = client.get(f"/outbox/{kept.pk}/html")
    assert html.content.decode() == kept.html
    policy = html["Content-Security-Policy"]
    assert "sandbox" in policy and "style-src 'unsafe-inline'" in policy and "script-src" not in policy
    assert "default-src 'none'" in policy


def test_no_outbox_when_emails_are_sent(settings, client: Client) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    kept = OutboxMessage.objects.create(sender="a@b.test", recipients="c@d.test", subject="s", text="t", html="<p>")
    for url in ("/outbox/", f"/outbox/{kept.pk}/", f"/outbox/{kept.pk}/html"):
        assert client.get(url).status_code == 404


def test_unknown_message_is_a_404(outbox, client: Client) -> None:
    assert client.get("/outbox/999/").status_code == 404
    plain = OutboxMessage.objects.create(sender="a@b.test", recipients="c@d.test", subject="s", text="t")
    assert client.get(f"/outbox/{plain.pk}/html").status_code == 404
