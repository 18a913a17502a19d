from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.observability.collector import DatabaseCollector
from portal.observability.metrics import exposition, registry_build, token_check
from portal.runtime.health import health_report, live_report, ready_report


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)


@never_cache
@require_GET
def healthz_live(request: HttpRequest) -> JsonResponse:
    """Kubernetes' liveness probe: the process answers (nothing else is asked)."""
    return JsonResponse(live_report())


@never_cache
@require_GET
def healthz_ready(request: HttpRequest) -> JsonResponse:
    """Kubernetes' readiness probe: 503, naming what is not ready, until the database, the broker and the
    cache answer and every migration is applied."""
    ready, report = ready_report()
    return JsonResponse(report, status=200 if ready else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's scrape: this pod's processes' series and those read from the database, for a bearer token
    equal to METRICS_TOKEN (401 otherwise; 404 when none is configured: the endpoint is off)."""
    status = token_check(settings.METRICS_TOKEN, request.headers.get("Authorization", ""))
    if status == 404:
        raise Http404("metrics are off: METRICS_TOKEN is not set")
    if status == 401:
        response = HttpResponse("a bearer token is needed\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = exposition(registry_build(DatabaseCollector()))
    return HttpResponse(body, content_type=content_type)
