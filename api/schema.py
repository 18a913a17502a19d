"""The OpenAPI description's shared parts: how a caller authenticates, and the errors every operation may
answer, in the one JSON shape ``api.errors`` gives them. Views describe their own successes; everything a
tool can get besides is added here once, so the schema says what the API really answers (Schemathesis
checks every response against it: tests/api/test_schema_fuzz.py)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.serializers import InputSerializer

SECURITY_SCHEME = "portalToken"


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(help_text="A code a tool can branch on: invalid_request, invalid_token, "
                                            "insufficient_scope, forbidden, not_found, conflict, "
                                            "invitation_on_its_way, idempotency_key_reused, rate_limited, …")
    detail = serializers.CharField(help_text="What went wrong, for a person to read")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                   help_text="On a 400: the messages per field (non_field_errors for the rest)")


def error_response(description: str, code: str, detail: str, **extra) -> OpenApiResponse:
    """An error in the API's one shape, with its description and an example (views use it for an error of their
    own, such as a 409 that says what is already under way)."""
    return OpenApiResponse(ErrorSerializer, description=description, examples=[
        OpenApiExample(code, value={"error": code, "detail": detail, **extra})])


ERRORS = {
    "400": error_response("Bad input, or a rule the schema cannot state (a cursor that is not ours, a range that ends "
                  "before it starts, the organization's metadata schema, a guardrail, the target's state): the "
                  "messages per field; nothing was changed", "invalid_request",
                  "Some of the input is not valid: see errors.", errors={"email": ["Enter a valid email address."]}),
    "401": error_response('No valid access token (WWW-Authenticate: Bearer error="invalid_token")', "invalid_token",
                  "The access token has expired."),
    "403": error_response("The token lacks the scope (insufficient_scope), the client is not registered, or the caller "
                  "may not do this", "insufficient_scope", "This needs the users:write permission."),
    "404": error_response("Not found, or outside the caller's organizations (the API does not say which)", "not_found",
                  "Not found."),
    "406": error_response("The API answers application/json only", "not_acceptable",
                  "Could not satisfy the request Accept header."),
    "409": error_response("What the request acts on is not in a state that allows it now (a bulk job's status); "
                          "nothing was changed", "conflict",
                          "This job cannot be paused now: it is checked: waiting for confirmation."),
    "413": error_response("The body is over the route's limit (DATA_UPLOAD_MAX_MEMORY_SIZE; a bulk job's rows and file "
                  "have their own, larger one, answered as a 400 under rows or file)", "request_too_large",
                  "The request body is over the limit of 2,621,440 bytes: send less at once."),
    "415": error_response("Send JSON (or form data)", "unsupported_media_type", 'Unsupported media type "text/plain".'),
    "422": error_response("The Idempotency-Key was used for a different request", "idempotency_key_reused",
                  "This Idempotency-Key was used for a different request: use a new key for a new request."),
    "429": error_response("Over the caller's request budget: retry after Retry-After seconds", "rate_limited",
                  "Request was throttled. Expected available in 12 seconds."),
}
# Answered by the web server (gunicorn, or the proxy in front) before the portal reads the request, so in its
# words and in HTML: a URL over the request line limit (8,190 bytes: config/gunicorn_settings.py). Long query
# values (up to a few thousand characters, more when percent-encoded) can reach it.
URI_TOO_LONG = OpenApiResponse(OpenApiTypes.STR, description="The URL is longer than the web server takes (8,190 "
                                                             "bytes): send shorter query values. HTML, from the "
                                                             "server itself.")
# Path parameters as Django's converters match them (config urls); a value of another shape is no route, and
# the API's JSON 404 (api.errors.api_route_not_found).
PATH_PATTERNS = {"slug": "^[-a-zA-Z0-9_]+$", "user_id": "^[^/]+$", "action": "^[^/]+$", "role_id": "^[^/]+$"}


class PortalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.authentication.PortalTokenAuthentication"
    name = SECURITY_SCHEME

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "An access token the Auth0 tenant issues for the portal's API (audience "
                               "PORTAL_API_AUDIENCE): client credentials for a registered tool, or a person's own."}


class PortalAutoSchema(AutoSchema):
    """Adds the errors an operation can answer: 401, 403, 406 (an Accept it cannot satisfy) and 429 to every one;
    404 where the path names something; 400 where there is input (query, body, a header) or a service decides;
    413 and 415 where a body may be read; 422 where an Idempotency-Key may be sent (every POST, a DELETE that
    takes one); 414 (from the web server) to all; and
    gives the error's body to an error a view declares in its own words (a 409).
    A method a route does not have is a 405 with Allow (api.base): not an operation, so described in the API's
    description rather than here."""

    def _error_codes(self) -> list[str]:
        codes = ["401", "403", "406", "429"]
        if "{" in self.path:
            codes.append("404")
        writes = self.method in ("POST", "PUT", "PATCH", "DELETE")
        if writes or self._get_parameters_of_kind("query") or self._get_parameters_of_kind("header"):
            codes.append("400")
        if writes:
            codes += ["413", "415"]
        if self.method == "POST" or any(p.get("name") == IDEMPOTENCY_HEADER
                                        for p in self._get_parameters_of_kind("header")):
            codes.append("422")
        return sorted(codes)

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            pattern = PATH_PATTERNS.get(parameter["name"])
            if pattern and parameter["schema"].get("type") == "string" and "enum" not in parameter["schema"]:
                parameter["schema"] = {**parameter["schema"], "pattern": pattern}
        return parameters

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, InputSerializer):
            schema["additionalProperties"] = False  # InputSerializer refuses unknown fields
        return schema

    def _get_parameters_of_kind(self, location: str) -> list:
        return [p for p in self._get_parameters() if p.get("in") == location]

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        # The errors every operation of its kind may answer, and those a view declares (a 409) in the same shape;
        # an error a view describes with its own body and example (api.schema.error_response) is kept as it is.
        declared = [code for code, response in responses.items() if code in ERRORS and not response.get("content")]
        for code in sorted({*self._error_codes(), *declared}):
            described = responses.get(code)
            if described is not None and described.get("content"):
                continue
            # A view's own words for an error are kept; the body is the error shape whatever it says.
            error = ERRORS[code]
            if described is not None and described.get("description"):
                error = OpenApiResponse(ErrorSerializer, description=described["description"],
                                        examples=error.examples)
            responses[code] = self._get_response_for_code(error, code, direction=direction)
        responses["414"] = self._get_response_for_code(URI_TOO_LONG, "414", media_types=["text/html"],
                                                       direction=direction)
        return dict(sorted(responses.items()))

    def get_operation_id(self) -> str:
        # A GET of a collection is a list, whatever its page serializer looks like to drf-spectacular.
        operation_id = super().get_operation_id()
        if self.method == "GET" and not self.path.rstrip("/").endswith("}"):
            operation_id = operation_id.removesuffix("_retrieve").removesuffix("_list") + "_list"
        return operation_id
