from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.models import ProcessHeartbeat


def heartbeat_record(*, name: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        updated = ProcessHeartbeat.objects.filter(name=name).update(last_seen=now, beats=F("beats") + 1)
        if not updated:
            ProcessHeartbeat.objects.get_or_create(name=name, defaults={"last_seen": now, "beats": 1})
