"""``/login/enterprise`` (leave for the connection's identity provider) and ``/login/callback`` (come back: a SAML
response POSTed to the assertion consumer service, or an OpenID Connect code). The person is found or created in
the connection (``samlp|<connection>|<NameID>``, ``oidc|<connection>|<sub>``), made a member of the transaction's
Organization when the connection is enabled there with membership on login, and the login completes as a password
login does (the session, the application's code)."""

from __future__ import annotations

import json
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ...directory.connections import connection_get_by_name
from ...directory.organizations import organization_connections, organization_members_add
from ...directory.users import user_build, user_get, user_insert, user_update
from ...tenant import Tenant
from ..errors import PageError, page_endpoint
from ..params import tenant_of
from ..sessions import BROWSER_COOKIE, transaction_get
from . import saml, upstream_oidc

ENTERPRISE = ("samlp", "oidc")


def enterprise_start_url(txn_id: str) -> str:
    return f"/login/enterprise?state={txn_id}"


def _transaction(request: Request, tenant: Tenant, txn_id: str) -> dict:
    txn = transaction_get(tenant, txn_id, request.cookies.get(BROWSER_COOKIE))
    if txn is None:
        raise PageError(400, "invalid_request", "The login transaction is invalid or has expired. Go back to the "
                                                "application and log in again.")
    return txn


def _connection(tenant: Tenant, name: str | None) -> dict:
    connection = connection_get_by_name(tenant, name or "")
    if connection is None or connection.get("strategy") not in ENTERPRISE:
        raise PageError(400, "invalid_request", "the connection was not found")
    return connection


def _remember(tenant: Tenant, txn: dict, **facts: str) -> None:
    params = {**txn["params"], "enterprise": facts}
    tenant.store.execute("UPDATE authn_transactions SET params = ? WHERE id = ?", (json.dumps(params), txn["id"]))


@page_endpoint
async def enterprise_start(request: Request) -> Response:
    tenant = tenant_of(request)
    txn = _transaction(request, tenant, request.query_params.get("state", ""))
    connection = _connection(tenant, txn["params"].get("connection"))
    if connection["strategy"] == "samlp":
        location, request_id = await run_in_threadpool(saml.authn_request_redirect, tenant, connection, txn["id"])
        _remember(tenant, txn, request_id=request_id)
    else:
        nonce = secrets.token_urlsafe(24)
        try:
            location = await run_in_threadpool(upstream_oidc.authorization_url, tenant, connection, state=txn["id"],
                                               nonce=nonce, login_hint=txn["params"].get("login_hint"))
        except (OSError, KeyError, ValueError) as exc:
            raise PageError(502, "server_error", f"The connection's identity provider did not answer: {exc}") from None
        _remember(tenant, txn, nonce=nonce)
    return RedirectResponse(location, status_code=302, headers={"Cache-Control": "no-store"})


def _user_upsert(tenant: Tenant, connection: dict, local_id: str, identity: dict) -> dict:
    user_id = f"{connection['strategy']}|{connection['name']}|{local_id}"
    profile = {k: identity[k] for k in ("email", "given_name", "family_name") if identity.get(k)}
    existing = user_get(tenant, user_id)
    if existing is not None:
        return user_update(tenant, user_id, profile) if profile else existing
    user = user_build(connection=connection["name"], email=identity.get("email"), user_id=user_id,
                      given_name=identity.get("given_name"), family_name=identity.get("family_name"))
    user["identities"] = [{"connection": connection["name"], "provider": connection["strategy"],
                           "user_id": f"{connection['name']}|{local_id}", "isSocial": False}]
    return user_insert(tenant, user)


def _membership_on_login(tenant: Tenant, txn: dict, connection: dict, user: dict) -> None:
    org_id = txn["params"].get("org_id")
    if not org_id:
        return
    for enabled in organization_connections(tenant, org_id):
        if enabled["connection_id"] == connection["id"] and enabled["assign_membership_on_login"]:
            organization_members_add(tenant, org_id, [user["user_id"]])


async def _finish(request: Request, tenant: Tenant, txn: dict, connection: dict, local_id: str,
                  identity: dict) -> Response:
    from ..pages.login import login_complete  # the pages import this module's start URL

    user = _user_upsert(tenant, connection, local_id, identity)
    _membership_on_login(tenant, txn, connection, user)
    return login_complete(request, tenant, txn, user)


@page_endpoint
async def saml_callback(request: Request) -> Response:
    tenant = tenant_of(request)
    form = await request.form()
    txn = _transaction(request, tenant, str(form.get("RelayState") or ""))
    connection = _connection(tenant, request.query_params.get("connection"))
    if txn["params"].get("connection") != connection["name"]:
        raise PageError(400, "invalid_request", "The response is for another connection than this login's.")
    request_id = (txn["params"].get("enterprise") or {}).get("request_id", "")
    try:
        identity = await run_in_threadpool(saml.response_identity, tenant, connection,
                                           str(form.get("SAMLResponse") or ""), request_id)
    except saml.SamlRefused as exc:
        raise PageError(400, "access_denied", f"The SAML response was refused: {exc}") from None
    return await _finish(request, tenant, txn, connection, identity["name_id"], identity)


@page_endpoint
async def oidc_callback(request: Request) -> Response:
    tenant = tenant_of(request)
    txn = _transaction(request, tenant, request.query_params.get("state", ""))
    connection = _connection(tenant, txn["params"].get("connection"))
    if request.query_params.get("error"):
        raise PageError(400, "access_denied", request.query_params.get("error_description") or "refused")
    nonce = (txn["params"].get("enterprise") or {}).get("nonce", "")
    try:
        identity = await run_in_threadpool(upstream_oidc.code_identity, tenant, connection,
                                           code=request.query_params.get("code", ""), nonce=nonce)
    except upstream_oidc.OidcRefused as exc:
        raise PageError(400, "access_denied", f"The identity provider's answer was refused: {exc}") from None
    return await _finish(request, tenant, txn, connection, identity["sub"], identity)
