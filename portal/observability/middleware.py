"""The endpoints an orchestrator and a metrics scraper ask, answered before any other middleware.

Kubernetes' probes and Prometheus call a pod by its IP address over plain HTTP: the Host header is that
address (not in ALLOWED_HOSTS) and production redirects plain HTTP to HTTPS. So these few paths are
answered first, before the host check and the redirect: they build no URL from the Host header (the
reason for its check), carry no session or cookie, and /metrics asks for its own bearer token.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import resolve

from portal.observability.logs import context_bind, context_clear, request_id_from

INTERNAL_PATHS = frozenset({"/healthz/live", "/healthz/ready", "/metrics"})


class InternalEndpointsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in INTERNAL_PATHS:
            match = resolve(request.path_info)
            return match.func(request, *match.args, **match.kwargs)
        return self.get_response(request)


class RequestContextMiddleware:
    """Binds the request's id (the proxy's ``X-Request-ID``, or a new one, sent back in the response) and the
    organization its URL names, for every log line of the request and every task it sends."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Cleared as each request begins, not as it ends: Django logs a 4xx or 5xx (django.request) after the
        # middleware has answered, and that line should carry the request's id too.
        context_clear()
        request_id = request_id_from(request.headers.get("X-Request-ID"))
        context_bind(request_id=request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response

    def process_view(self, request: HttpRequest, view, args, kwargs) -> None:
        if isinstance(kwargs.get("slug"), str):
            context_bind(organization=kwargs["slug"])
