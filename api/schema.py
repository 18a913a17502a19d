"""The OpenAPI description's shared parts: how a caller authenticates, and the errors every operation may
answer, in the one JSON shape ``api.errors`` gives them. Views describe their own successes; everything a
tool can get besides is added here once, so the schema says what the API really answers (Schemathesis
checks every response against it: tests/api/test_schema_fuzz.py)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

SECURITY_SCHEME = "portalToken"


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(help_text="A code a tool can branch on: invalid_request, invalid_token, "
                                            "insufficient_scope, forbidden, not_found, idempotency_key_reused, "
                                            "rate_limited, …")
    detail = serializers.CharField(help_text="What went wrong, for a person to read")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                   help_text="On a 400: the messages per field (non_field_errors for the rest)")


def _error(description: str, code: str, detail: str, **extra) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description, examples=[
        OpenApiExample(code, value={"error": code, "detail": detail, **extra})])


ERRORS = {
    "400": _error("Bad input: the messages per field; nothing was changed", "invalid_request",
                  "Some of the input is not valid: see errors.", errors={"email": ["Enter a valid email address."]}),
    "401": _error('No valid access token (WWW-Authenticate: Bearer error="invalid_token")', "invalid_token",
                  "The access token has expired."),
    "403": _error("The token lacks the scope (insufficient_scope), the client is not registered, or the caller "
                  "may not do this", "insufficient_scope", "This needs the users:write permission."),
    "404": _error("Not found, or outside the caller's organizations (the API does not say which)", "not_found",
                  "Not found."),
    "405": _error("This method is not allowed here", "method_not_allowed", 'Method "PUT" not allowed.'),
    "406": _error("The API answers application/json only", "not_acceptable",
                  "Could not satisfy the request Accept header."),
    "415": _error("Send JSON (or form data)", "unsupported_media_type", 'Unsupported media type "text/plain".'),
    "422": _error("The Idempotency-Key was used for a different request", "idempotency_key_reused",
                  "This Idempotency-Key was used for a different request: use a new key for a new request."),
    "429": _error("Over the caller's request budget: retry after Retry-After seconds", "rate_limited",
                  "Request was throttled. Expected available in 12 seconds."),
}


class PortalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.PortalTokenAuthentication"
    name = SECURITY_SCHEME

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "An access token the Auth0 tenant issues for the portal's API (audience "
                               "PORTAL_API_AUDIENCE): client credentials for a registered tool, or a person's own."}


class PortalAutoSchema(AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["401", "403", "405", "406", "429"]
        if "{" in self.path:
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += ["400", "415"]
        elif self._get_parameters_of_kind("query"):
            codes.append("400")
        if self.method == "POST":
            codes.append("422")
        return sorted(codes)

    def _get_parameters_of_kind(self, location: str) -> list:
        return [p for p in self._get_parameters() if p.get("in") == location]

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            described = responses.get(code)
            # A view's own words for an error are kept; the body is the error shape whatever it says.
            error = ERRORS[code]
            if described is not None and described.get("description"):
                error = OpenApiResponse(ErrorSerializer, description=described["description"],
                                        examples=error.examples)
            responses[code] = self._get_response_for_code(error, code, direction=direction)
        return responses

    def get_operation_id(self) -> str:
        # A GET of a collection is a list, whatever its page serializer looks like to drf-spectacular.
        operation_id = super().get_operation_id()
        if self.method == "GET" and not self.path.rstrip("/").endswith("}"):
            operation_id = operation_id.removesuffix("_retrieve").removesuffix("_list") + "_list"
        return operation_id
