"""OpenTelemetry tracing: off by default, and then not even imported; on, a request and a task become spans."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from portal.tasks import heartbeat_record

REPO = Path(__file__).resolve().parents[2]


# Off, the portal imports none of its tracing: no instrumentation, no trace SDK, no exporter. (redis-py imports
# OpenTelemetry's metrics API on its own whenever the package is installed; that starts nothing.)
TRACING_MODULES = ("opentelemetry.instrumentation", "opentelemetry.sdk.trace", "opentelemetry.exporter")


def test_off_by_default_and_never_imported() -> None:
    probe = ("import django, sys; django.setup(); from django.conf import settings; from django.test import Client; "
             "Client().get('/healthz/live'); Client().get('/healthz'); "
             f"print(settings.OTEL_ENABLED, sorted(m for m in sys.modules if m.startswith({TRACING_MODULES!r})))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip().splitlines()[-1] == "False []"


@pytest.mark.django_db
def test_on_a_request_and_a_task_become_spans() -> None:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from portal.observability.tracing import tracing_start, tracing_stop

    exporter = InMemorySpanExporter()
    tracing_start(exporter=exporter, service_name="portal-test", batch=False)
    try:
        assert Client().get("/healthz").status_code == 200
        heartbeat_record.apply(args=("traced",))
    finally:
        tracing_stop()
    spans = exporter.get_finished_spans()
    server = [s for s in spans if s.attributes.get("http.route") == "healthz" or "healthz" in s.name]
    assert server, [s.name for s in spans]
    assert server[0].resource.attributes["service.name"] == "portal-test"
    assert any("heartbeat_record" in s.name for s in spans), [s.name for s in spans]
    # Once stopped, requests make no more spans.
    count = len(exporter.get_finished_spans())
    Client().get("/healthz")
    assert len(exporter.get_finished_spans()) == count
