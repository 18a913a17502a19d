"""Test controls of the Authentication API side (only with ``--test-controls``).

- ``POST /emulator/clients/{client_id}`` ``{"callbacks": [...], "allowed_logout_urls": [...]}`` adds
  URLs to an application, so a test whose portal runs on a random port can register it;
- ``POST /emulator/authn/settings`` ``{"authorization_code_lifetime": seconds}`` shortens codes so
  expiry can be tested without waiting a minute; ``{"id_token_fault": "issuer" | "audience" | "expired" |
  "algorithm" | "unsigned" | "signature" | null}`` makes /oauth/token issue ID tokens that a relying
  party must refuse (wrong issuer or audience, expired, HS256, alg none, signed by another key);
  ``{"profile": "auth0" | "plain", "claims_in": …, "end_session_path": …, "token_auth_method": …}``
  reshapes the OpenID provider (see ``config.OIDC_PROFILES``), ``null`` restoring the start-up value.
  Unknown or bad settings are a 400 and change nothing; the answer echoes every current value.
"""

from __future__ import annotations

import dataclasses
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..config import OIDC_PROFILES, OIDC_SWITCHES, oidc_value_problem
from ..tenant import Tenant
from .errors import OAuthError, invalid_request, json_endpoint
from .oidc.codes import AUTHORIZATION_CODE_LIFETIME, code_lifetime
from .oidc.logout import end_session_path_problem
from .oidc.tokens import ID_TOKEN_FAULT_KEY, ID_TOKEN_FAULTS
from .params import tenant_of

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


SETTINGS = ("authorization_code_lifetime", "id_token_fault", "profile", *OIDC_SWITCHES)


def _code_lifetime_value(value: object) -> int:
    if value is None:
        return AUTHORIZATION_CODE_LIFETIME
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 3600:
        raise invalid_request("authorization_code_lifetime must be an integer from 1 to 3600")
    return value


def _id_token_fault_value(fault: object) -> str | None:
    if fault is None or (isinstance(fault, str) and fault in ID_TOKEN_FAULTS):
        return fault
    raise invalid_request(f"id_token_fault must be one of {', '.join(ID_TOKEN_FAULTS)} or null")


def _oidc_values(request: Request, tenant: Tenant, body: dict) -> dict[str, str]:
    """The OIDC switches this request asks for: a ``profile`` first, then each switch it names on
    top; ``null`` means the value the emulator was started with. All checked before any is set."""
    started = tenant.extensions.get("initial_config", tenant.config)
    values = {name: getattr(tenant.config, name) for name in OIDC_SWITCHES}
    if "profile" in body:
        profile = body["profile"]
        if profile is None:
            values = {name: getattr(started, name) for name in OIDC_SWITCHES}
        elif isinstance(profile, str) and profile in OIDC_PROFILES:
            values = dict(OIDC_PROFILES[profile])
        else:
            raise invalid_request(f"profile must be one of {', '.join(OIDC_PROFILES)} or null")
    for name in OIDC_SWITCHES:
        if name not in body:
            continue
        value = getattr(started, name) if body[name] is None else body[name]
        problem = oidc_value_problem(name, value)
        if problem:
            raise invalid_request(f"{name} {problem}")
        values[name] = value
    if values["end_session_path"] != tenant.config.end_session_path:
        problem = end_session_path_problem(values["end_session_path"], request.app.routes)
        if problem:
            raise invalid_request(f"end_session_path {problem}")
    return values


def settings_view(tenant: Tenant) -> dict:
    """The current settings, with the OIDC profile they amount to (null for a mix of the two)."""
    oidc = {name: getattr(tenant.config, name) for name in OIDC_SWITCHES}
    profile = next((name for name, values in OIDC_PROFILES.items() if values == oidc), None)
    return {
        "authorization_code_lifetime": code_lifetime(tenant),
        "id_token_fault": tenant.store.kv_get(ID_TOKEN_FAULT_KEY),
        "profile": profile,
        **oidc,
    }


@json_endpoint
async def settings_post(request: Request) -> Response:
    """Change the settings named in the body and echo them all; a bad value changes nothing."""
    _controls_check(request)
    tenant = tenant_of(request)
    body = await _json_object(request)
    unknown = sorted(set(body) - set(SETTINGS))
    if unknown:
        raise invalid_request(f"Unknown settings: {', '.join(unknown)} (known: {', '.join(SETTINGS)})")
    stored: dict[str, object] = {}
    if "authorization_code_lifetime" in body:
        stored["authn_code_lifetime"] = _code_lifetime_value(body["authorization_code_lifetime"])
    if "id_token_fault" in body:
        stored[ID_TOKEN_FAULT_KEY] = _id_token_fault_value(body["id_token_fault"])
    oidc = _oidc_values(request, tenant, body)
    for key, value in stored.items():
        tenant.store.kv_set(key, value)
    tenant.config = dataclasses.replace(tenant.config, **oidc)
    return JSONResponse(settings_view(tenant))
