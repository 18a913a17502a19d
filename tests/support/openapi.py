"""Validate Management API responses against Auth0's published OpenAPI document.

The 2 MB YAML is parsed once per test process. ``response_check`` finds the operation for a method and
a concrete path (``/users/auth0|abc`` → ``/users/{id}``) and validates the JSON body against that
operation's response schema with jsonschema (OpenAPI 3.1 schemas are JSON Schema 2020-12), resolving
``$ref``s inside the document. ``validating_client`` hooks this into every response the SDK receives.
The document is the copy kept in the repository (``tests/contract/spec/``, see its README); a missing
file is an error, never a reason to skip validation.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parents[1] / "contract" / "spec" / "management-api-v2.openapi.yml"
SPEC_URI = "urn:auth0:management-api-v2"
API_PREFIX = "/api/v2"


@functools.cache
def spec() -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC_PATH.open() as fh:  # FileNotFoundError if the repository's copy is missing: never skip
        return yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader


@functools.cache
def _registry() -> Registry:
    return Registry().with_resource(SPEC_URI, Resource.from_contents(spec(), default_specification=DRAFT202012))


@functools.cache
def _templates() -> list[tuple[re.Pattern, str]]:
    """Path templates as regexes, literal segments first so ``/users-by-email`` beats ``/users/{id}``."""
    out = []
    for template in spec()["paths"]:
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        out.append((re.compile(pattern), template))
    out.sort(key=lambda item: (item[1].count("{"), -len(item[1])))
    return out


def operation_template(method: str, path: str) -> str | None:
    document = spec()
    for pattern, template in _templates():
        if pattern.match(path) and method.lower() in document["paths"][template]:
            return template
    return None


# Auth0's list responses are ``oneOf`` [array, offset envelope, checkpoint envelope], and the two
# envelopes overlap (a last checkpoint page without ``next`` fits both), so ``oneOf`` would reject
# valid bodies: match them as ``anyOf``.
_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    {"oneOf": jsonschema.Draft202012Validator.VALIDATORS["anyOf"]},
)


def _pointer(*parts: str) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def response_check(method: str, path: str, status: int, body: Any) -> bool:
    """Validate ``body``; False when the operation documents no JSON schema for this status."""
    document = spec()
    template = operation_template(method, path)
    assert template is not None, f"{method} {path} is not an operation of the Management API"
    operation = document["paths"][template][method.lower()]
    response = operation["responses"].get(str(status))
    assert response is not None, f"{method} {template} does not document status {status}"
    schema = (response.get("content") or {}).get("application/json", {}).get("schema")
    if schema is None:
        return False
    pointer = _pointer("paths", template, method.lower(), "responses", str(status), "content",
                       "application/json", "schema")
    validator = _Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=_registry())
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        details = "; ".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:5])
        raise AssertionError(f"{method} {template} {status} does not match Auth0's schema: {details}")
    return True


class ResponseRecorder:
    """An httpx response hook: keeps every Management API response and validates the successful ones."""

    def __init__(self) -> None:
        self.responses: list[httpx.Response] = []
        self.validated = 0

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        self.responses.append(response)
        path = unquote(urlsplit(str(response.request.url)).path)
        if not path.startswith(API_PREFIX) or not 200 <= response.status_code < 300:
            return
        if response.status_code == 204 or not response.content:
            return
        if response_check(response.request.method, path[len(API_PREFIX):], response.status_code,
                          response.json()):
            self.validated += 1

    @property
    def last(self) -> httpx.Response:
        return self.responses[-1]


def validating_client(base_url: str, token: str) -> tuple[Any, ResponseRecorder]:
    """The official SDK's client on ``base_url`` with retries off and every response schema-checked."""
    from auth0.management.client import Auth0

    recorder = ResponseRecorder()
    http = httpx.Client(timeout=30, event_hooks={"response": [recorder]})
    client = Auth0(base_url=base_url, token=token, max_retries=0, httpx_client=http)
    return client, recorder


M2M_CLIENT_ID = "portal-m2m-dev"
M2M_CLIENT_SECRET = "portal-m2m-dev-secret"


@functools.cache
def management_token(url: str) -> str:
    """A Management API token from the emulator's /oauth/token (client credentials, through the SDK),
    fetched once per emulator as a real client would cache it."""
    from auth0.authentication import GetToken

    domain = urlsplit(url).netloc
    response = GetToken(domain, M2M_CLIENT_ID, M2M_CLIENT_SECRET, protocol="http").client_credentials(
        f"{url}/api/v2/"
    )
    return response["access_token"]
