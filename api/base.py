"""What every view under /api/ shares: it answers only the methods it declares, and every error is the API's
JSON (``api.errors``), whatever the caller accepted.

DRF authenticates, checks permissions and throttles (``APIView.initial``) before it looks for the method's
handler, so a method a view does not have (TRACE, PUT, an invented one) reached ``CallerHoldsPermission``,
which has no permission for it, and the view answered 500. Here the method is checked first: 405, with
``Allow`` naming the methods the route has, before anything else is read. OPTIONS is not served either
(DRF would answer it with the view's metadata): the API is for tools, not browsers, so there is no CORS
preflight to answer, and ``/api/schema/`` is where the operations are described. HEAD is answered as GET.
"""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

# Django's list without OPTIONS and TRACE; a method outside it has no handler whatever the view defines.
SERVED_METHODS = ["get", "post", "put", "patch", "delete", "head"]


class DeclaredMethodsOnly:
    """Mixed into a DRF view: a method without a handler is a 405 before authentication, and errors are JSON."""

    http_method_names = SERVED_METHODS

    def initial(self, request: Request, *args, **kwargs) -> None:
        if request.method not in self.allowed_methods:
            # No token is read for it: whoever asks, the route has no such method (the schema says so too).
            raise exceptions.MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        # An error is the API's JSON even where the view renders something else (the schema, the docs page,
        # a report's CSV) and before content negotiation has chosen a renderer.
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return response


class ApiView(DeclaredMethodsOnly, APIView):
    """The base of every API view (``permissions_required`` names the permission each method needs)."""

    permissions_required: dict[str, str] = {}


class ApiSchemaView(DeclaredMethodsOnly, SpectacularAPIView):
    """/api/schema/: the OpenAPI description."""


class ApiDocsView(DeclaredMethodsOnly, SpectacularSwaggerView):
    """/api/docs/: the description, readable in a browser."""
