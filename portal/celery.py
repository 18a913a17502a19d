"""The Celery application shared by the web process (to enqueue), the worker and beat."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.embedded")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@beat_init.connect
def schedule_at_start(sender=None, **kwargs) -> None:
    """Beat's interval schedule first fires one interval after start: send every scheduled task once now,
    so /healthz reports beat as fresh within seconds and due work (the directory's first sync) starts."""
    for entry in app.conf.beat_schedule.values():
        app.send_task(entry["task"], args=entry.get("args", ()))
