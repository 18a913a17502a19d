"""The embedded mode's outbox pages: the emails the portal kept instead of sending (:mod:`portal.outbox.backend`),
so that whoever tries the portal on one machine can open an invitation and follow its link. Open to
anyone, as a local mail catcher is; they answer 404 unless emails are kept locally (never in production,
which sends through EMAIL_URL)."""

from __future__ import annotations

from csp.constants import NONE
from csp.decorators import csp
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from portal.models import OutboxMessage

OUTBOX_BACKEND = "portal.outbox.backend.OutboxBackend"
SHOWN = 50


def _outbox_in_use() -> None:
    if settings.EMAIL_BACKEND != OUTBOX_BACKEND:
        raise Http404("Emails are sent, not kept: there is no local outbox.")


@require_GET
def outbox_list(request: HttpRequest) -> HttpResponse:
    _outbox_in_use()
    return render(request, "outbox/list.html", {"messages_kept": OutboxMessage.objects.all()[:SHOWN]})


@require_GET
def outbox_message(request: HttpRequest, message_id: int) -> HttpResponse:
    _outbox_in_use()
    return render(request, "outbox/message.html", {"message": get_object_or_404(OutboxMessage, pk=message_id)})


# An email's HTML carries its own inline styles (mail clients need them) and nothing else may run:
# this one response allows inline styles, no script at all, and is sandboxed.
@require_GET
@csp({"default-src": [NONE], "style-src": ["'unsafe-inline'"], "img-src": ["*", "data:"],
      "sandbox": ["allow-popups", "allow-top-navigation-by-user-activation"]})
def outbox_message_html(request: HttpRequest, message_id: int) -> HttpResponse:
    _outbox_in_use()
    message = get_object_or_404(OutboxMessage, pk=message_id)
    if not message.html:
        raise Http404("This email has no HTML part.")
    return HttpResponse(message.html, content_type="text/html; charset=utf-8")
