"""OpenTelemetry tracing, off unless ``OTEL_ENABLED`` is on: then Django's requests, Celery's tasks (their
publishing and running, linked across the broker) and httpx's calls (the gateway's to Auth0, webhooks) become
spans, exported by OTLP over HTTP (``OTEL_EXPORTER_OTLP_ENDPOINT`` and the other standard ``OTEL_*`` variables)
or to the console (``OTEL_EXPORTER=console``).

Off, nothing of OpenTelemetry is imported: every import is inside the functions below.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

_started: dict[str, Any] = {}


def tracing_start_if_configured() -> bool:
    from django.conf import settings

    if not settings.OTEL_ENABLED or _started:
        return False
    tracing_start(exporter=_exporter(settings.OTEL_EXPORTER), service_name=settings.OTEL_SERVICE_NAME)
    return True


def _exporter(name: str):
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    raise ValueError(f"OTEL_EXPORTER must be otlp or console, not {name!r}")


def tracing_start(*, exporter, service_name: str = "auth0-portal", batch: bool = True):
    """Instrument Django, Celery and httpx, exporting spans to ``exporter``; returns the tracer provider.
    ``batch=False`` exports each span as it ends (tests)."""
    from opentelemetry import trace
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    # A batch processor restarts its export thread in a forked child (gunicorn's and Celery's pool processes).
    provider.add_span_processor(BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    instrumentors = [DjangoInstrumentor(), CeleryInstrumentor(), HTTPXClientInstrumentor()]
    for instrumentor in instrumentors:
        instrumentor.instrument(tracer_provider=provider)
    _started.update(provider=provider, instrumentors=instrumentors)
    log.info("tracing on: spans of requests, tasks and HTTP calls go to %s", type(exporter).__name__)
    return provider


def tracing_stop() -> None:
    """Undo :func:`tracing_start` (tests)."""
    for instrumentor in _started.get("instrumentors", []):
        instrumentor.uninstrument()
    provider = _started.get("provider")
    if provider is not None:
        provider.shutdown()
    _started.clear()
