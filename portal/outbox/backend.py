"""The embedded mode's outbox: an email backend that keeps each message in the database instead of
sending it, so that a person trying the portal on one machine can open the invitations and password
emails it sends (and follow their links). Production sends through ``EMAIL_URL`` instead."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from portal.models import OutboxMessage


def _html_of(message: EmailMessage) -> str:
    if isinstance(message, EmailMultiAlternatives):
        for content, mimetype in message.alternatives:
            if mimetype == "text/html":
                return str(content)
    return ""


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        OutboxMessage.objects.bulk_create([
            OutboxMessage(sender=m.from_email, recipients=", ".join(m.recipients()), subject=m.subject,
                          text=m.body, html=_html_of(m))
            for m in email_messages
        ])
        return len(email_messages)
