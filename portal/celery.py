"""The Celery application shared by the web process (to enqueue), the worker and beat."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import (
    beat_init,
    before_task_publish,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_shutdown,
)

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


@worker_init.connect
def metrics_at_worker_start(sender=None, **kwargs) -> None:
    """The worker's main process, before its pool starts: a fresh multiprocess directory, and the pod's
    metrics port when WORKER_METRICS_PORT is set (portal.observability.metrics)."""
    from django.conf import settings

    from portal.observability.metrics import multiprocess_dir_reset, worker_metrics_serve

    multiprocess_dir_reset()
    if settings.WORKER_METRICS_PORT:
        worker_metrics_serve(port=settings.WORKER_METRICS_PORT, token=settings.METRICS_TOKEN)


@worker_process_shutdown.connect
def metrics_at_process_exit(pid=None, **kwargs) -> None:
    from portal.observability.metrics import process_dead

    process_dead(pid or os.getpid())


# -- the log context, from the web request (or the task) that sends a task into the task (portal.observability.logs)
@before_task_publish.connect
def context_to_message(headers=None, **kwargs) -> None:
    from portal.observability.logs import CONTEXT_HEADER, context_carried

    carried = context_carried()
    if carried and headers is not None:
        headers[CONTEXT_HEADER] = carried


@task_prerun.connect
def context_from_message(task_id=None, task=None, **kwargs) -> None:
    from portal.observability.logs import context_bind, context_clear, context_from_task_request

    context_clear()
    context_bind(**context_from_task_request(task.request), task_id=task_id, task=task.name)


@task_postrun.connect
def context_end(**kwargs) -> None:
    from portal.observability.logs import context_clear

    context_clear()
