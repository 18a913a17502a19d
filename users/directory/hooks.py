"""``POST /hooks/auth0``: where Auth0's event streams and log streams push user changes.

It authenticates the push (the configured bearer token, compared in constant time), reads the events,
records the new ones and queues a refresh of each user they name, and answers at once: the work is
done by the refresh tasks. With no DIRECTORY_STREAM_TOKEN configured the receiver does not exist (404).
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from users.directory.streams import PayloadInvalid, pushed_events_accept, pushed_events_parse


@csrf_exempt  # called by Auth0 with a bearer token, not by a browser with a session
@require_POST
def auth0_hook(request: HttpRequest) -> JsonResponse:
    token = settings.DIRECTORY_STREAM_TOKEN
    if not token:
        raise Http404
    presented = request.headers.get("Authorization", "").encode()
    if not hmac.compare_digest(presented, f"Bearer {token}".encode()):
        return JsonResponse({"error": "unauthorized", "message": "A valid bearer token is required."}, status=401)
    try:
        events = pushed_events_parse(request.body)
    except PayloadInvalid as exc:
        return JsonResponse({"error": "invalid_payload", "message": str(exc)}, status=400)
    new, duplicates = pushed_events_accept(events)
    return JsonResponse({"accepted": new, "duplicates": duplicates}, status=202)
