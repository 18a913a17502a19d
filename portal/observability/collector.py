"""The series read from the database (and the budget's store) at scrape time.

Each source is a function returning metric families; the base's own are below, the packages above add theirs
through ``settings.PORTAL_METRICS_SOURCES`` (as ``PORTAL_HEALTH_REPORTS`` does for /healthz), so the base
imports no app. Every query is a cheap indexed one: a scrape comes every few seconds from every Prometheus.
A source that fails is skipped and shown as 1 in ``portal_metrics_source_failed``, never failing the scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.module_loading import import_string
from prometheus_client.core import GaugeMetricFamily, Metric

from portal.models import Attention, Operation, OperationKind

log = logging.getLogger(__name__)

# The states the operations gauge counts: those an operator watches (a backlog, failures). Succeeded ones
# only grow; they are counted as they finish (portal_operations_finished_total, by the workers).
WATCHED_STATES = (Operation.Status.PENDING, Operation.Status.RUNNING, Operation.Status.FAILED)


def operations_metrics() -> Iterable[Metric]:
    """Operations by kind and state (pending, running, failed), and the age of the oldest pending one."""
    family = GaugeMetricFamily("portal_operations", "Operations by kind and state (pending, running, failed)",
                               labels=["kind", "state"])
    counts = {
        (row["kind"], row["status"]): row["n"]
        # The attention index holds failed and unfinished operations apart from the (many) succeeded ones.
        for row in Operation.objects.filter(attention__in=(Attention.FAILED, Attention.UNFINISHED))
        .values("kind", "status").annotate(n=Count("pk")).order_by()
    }
    for kind in OperationKind.values:
        for state in WATCHED_STATES:
            family.add_metric([kind, state], counts.get((kind, state), 0))
    yield family
    oldest = (Operation.objects.filter(attention=Attention.UNFINISHED, status=Operation.Status.PENDING)
              .order_by("created_at").values_list("created_at", flat=True).first())
    age = GaugeMetricFamily("portal_operations_oldest_pending_age_seconds",
                            "Seconds since the oldest pending operation was recorded (0: none pending)")
    age.add_metric([], max(0.0, (timezone.now() - oldest).total_seconds()) if oldest else 0.0)
    yield age


def budget_metrics() -> Iterable[Metric]:
    """The shared Management API budget: tokens left and the burst, per endpoint group."""
    from portal.ratelimit import rate_limiter

    limiter = rate_limiter()
    left = GaugeMetricFamily("portal_auth0_budget_tokens", "Tokens left in the shared Management API budget, "
                             "per endpoint group", labels=["group"])
    burst = GaugeMetricFamily("portal_auth0_budget_burst", "The most tokens each group's budget holds (its burst)",
                              labels=["group"])
    rate = GaugeMetricFamily("portal_auth0_budget_per_minute", "The rate each group's budget refills at, per minute",
                             labels=["group"])
    for state in limiter.state():
        left.add_metric([state.group], state.tokens)
        burst.add_metric([state.group], state.limit.burst)
        rate.add_metric([state.group], state.limit.per_minute)
    yield from (left, burst, rate)


BASE_SOURCES = ("portal.observability.collector.operations_metrics", "portal.observability.collector.budget_metrics")


class DatabaseCollector:
    """A prometheus_client collector of every source, run at each scrape."""

    def __init__(self, sources: Iterable[str] | None = None) -> None:
        self.sources = list(sources) if sources is not None else [*BASE_SOURCES, *settings.PORTAL_METRICS_SOURCES]

    def collect(self) -> Iterable[Metric]:
        failed = GaugeMetricFamily("portal_metrics_source_failed", "1 when a source of this scrape failed (its "
                                   "series are missing), else 0", labels=["source"])
        for path in self.sources:
            try:
                families = list(import_string(path)())
            except Exception as exc:
                log.warning("metrics: %s failed: %s", path, exc)
                failed.add_metric([path.rsplit(".", 1)[-1]], 1)
                continue
            failed.add_metric([path.rsplit(".", 1)[-1]], 0)
            yield from families
        yield failed
