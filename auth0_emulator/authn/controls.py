"""Test controls of the Authentication API side (only with ``--test-controls``).

- ``POST /emulator/clients/{client_id}`` ``{"callbacks": [...], "allowed_logout_urls": [...]}`` adds
  URLs to an application, so a test whose portal runs on a random port can register it;
- ``POST /emulator/authn/settings`` ``{"authorization_code_lifetime": seconds}`` shortens codes so
  expiry can be tested without waiting a minute; ``{"id_token_fault": "issuer" | "audience" | "expired" |
  "algorithm" | "unsigned" | "signature" | null}`` makes /oauth/token issue ID tokens that a relying
  party must refuse (wrong issuer or audience, expired, HS256, alg none, signed by another key).
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .codes import AUTHORIZATION_CODE_LIFETIME, code_lifetime
from .errors import OAuthError, invalid_request, json_endpoint
from .params import tenant_of
from .tokens import ID_TOKEN_FAULT_KEY, ID_TOKEN_FAULTS

URL_LISTS = ("callbacks", "allowed_logout_urls")


def _controls_check(request: Request) -> None:
    if not tenant_of(request).config.test_controls:
        raise OAuthError(404, "not_found", "Test controls are disabled (start the emulator with --test-controls)")


async def _json_object(request: Request) -> dict:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise invalid_request("Invalid JSON body") from None
    if not isinstance(body, dict):
        raise invalid_request("The body must be a JSON object")
    return body


def _url_list(body: dict, key: str) -> list[str]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(
        isinstance(u, str) and u.startswith(("http://", "https://")) for u in value
    ):
        raise invalid_request(f"{key} must be a list of http(s) URLs")
    return value


@json_endpoint
async def client_urls_add(request: Request) -> Response:
    _controls_check(request)
    tenant = tenant_of(request)
    client = tenant.store.client_get(request.path_params["client_id"])
    if client is None:
        raise OAuthError(404, "not_found", "The client does not exist")
    body = await _json_object(request)
    unknown = set(body) - set(URL_LISTS)
    if unknown:
        raise invalid_request(f"Unknown fields: {', '.join(sorted(unknown))}")
    for key in URL_LISTS:
        for url in _url_list(body, key):
            if url not in client.setdefault(key, []):
                client[key].append(url)
    tenant.store.client_put(client)
    return JSONResponse({"client_id": client["client_id"], **{k: client.get(k, []) for k in URL_LISTS}})


@json_endpoint
async def settings_post(request: Request) -> Response:
    _controls_check(request)
    tenant = tenant_of(request)
    body = await _json_object(request)
    if "authorization_code_lifetime" in body:
        value = body["authorization_code_lifetime"]
        if value is None:
            value = AUTHORIZATION_CODE_LIFETIME
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 3600:
            raise invalid_request("authorization_code_lifetime must be an integer from 1 to 3600")
        tenant.store.kv_set("authn_code_lifetime", value)
    if "id_token_fault" in body:
        fault = body["id_token_fault"]
        if fault is not None and fault not in ID_TOKEN_FAULTS:
            raise invalid_request(f"id_token_fault must be one of {', '.join(ID_TOKEN_FAULTS)} or null")
        tenant.store.kv_set(ID_TOKEN_FAULT_KEY, fault)
    return JSONResponse({
        "authorization_code_lifetime": code_lifetime(tenant),
        "id_token_fault": tenant.store.kv_get(ID_TOKEN_FAULT_KEY),
    })
