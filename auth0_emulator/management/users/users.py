"""``/api/v2/users``: search, create, read, update, delete, users-by-email, a user's organizations."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...directory.connections import connection_get_by_name
from ...directory.logs import log_event_record
from ...directory.outbox import outbox_send
from ...directory.passwords import password_policy_check
from ...directory.tickets import ticket_create
from ...directory.users import (
    user_build,
    user_connection,
    user_delete,
    user_find_by_email,
    user_find_by_username,
    user_get,
    user_insert,
    user_organizations,
    user_password_set,
    user_update,
)

# Aliased: this module's handler of GET /users-by-email has the directory function's name.
from ...directory.users import users_by_email as directory_users_by_email
from ...errors import Auth0Error
from ...tenant import Tenant
from ..apilog import api_write
from ..auth import require
from ..common import (
    check_type,
    fields_apply,
    fields_projection,
    no_content,
    ok,
    paged,
    payload_invalid,
    project,
    query_bool,
    query_int,
    query_invalid,
    query_str,
    request_body,
    tenant_of,
)
from .search import SORT_PATTERN, users_index

SEARCH_LIMIT = 1000
INVALID_PAGING = (
    "You can only page through the first 1000 records. "
    "See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation"
)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATABASE_STRATEGIES = {"auth0"}

CREATE_FIELDS = (
    "email",
    "phone_number",
    "user_metadata",
    "blocked",
    "email_verified",
    "phone_verified",
    "app_metadata",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "user_id",
    "connection",
    "password",
    "verify_email",
    "username",
)
UPDATE_FIELDS = (
    "blocked",
    "email_verified",
    "email",
    "phone_number",
    "phone_verified",
    "user_metadata",
    "app_metadata",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "verify_email",
    "verify_phone_number",
    "password",
    "connection",
    "client_id",
    "username",
)
# Pairs Auth0 refuses to change in one PATCH.
EXCLUSIVE_UPDATES = (
    ("password", "email"),
    ("password", "email_verified"),
    ("username", "email"),
    ("username", "email_verified"),
    ("username", "password"),
)
STRING_FIELDS = (
    "email",
    "phone_number",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "username",
    "password",
    "connection",
    "client_id",
)
BOOL_FIELDS = ("blocked", "email_verified", "phone_verified", "verify_email", "verify_phone_number")


def user_not_found() -> Auth0Error:
    return Auth0Error(404, "The user does not exist.", "inexistent_user")


def user_or_404(request: Request) -> dict:
    """The user the path names (``{id}``), or Auth0's 404."""
    user = user_get(tenant_of(request), request.path_params["id"])
    if user is None:
        raise user_not_found()
    return user


def _check_types(body: dict) -> None:
    for name in STRING_FIELDS:
        check_type(body, name, str)
    for name in BOOL_FIELDS:
        check_type(body, name, bool)
    for name in ("user_metadata", "app_metadata"):
        check_type(body, name, dict)
    email = body.get("email")
    if email is not None and not EMAIL_PATTERN.match(email):
        raise payload_invalid(
            f"Object didn't pass validation for format email: {email}", "email", "The user's email."
        )


# -- list / search ------------------------------------------------------------------------------
async def users_list(request: Request) -> Response:
    require(request, "read:users", "read:user_idp_tokens")
    tenant = tenant_of(request)
    engine = request.query_params.get("search_engine")
    if engine in ("v1", "v2"):
        raise Auth0Error(400, f"You are not allowed to use search_engine={engine}.", "invalid_query_string")
    if engine not in (None, "", "v3"):
        raise query_invalid(
            "search_engine", f"No enum match for: {engine}", "The version of the search engine"
        )
    page = query_int(request, "page", 0, description="Page index of the results to return. First page is 0.")
    per_page = query_int(request, "per_page", 50, maximum=100, description="Number of results per page.")
    include_totals = query_bool(request, "include_totals", False)
    sort = request.query_params.get("sort") or None
    if sort is not None and not SORT_PATTERN.match(sort):
        raise query_invalid(
            "sort",
            f"String does not match pattern ^(([a-zA-Z0-9_\\.]+))\\:(1|-1)$: {sort}",
            "Field to sort by. Use field:order where order is 1 for ascending and -1 for "
            "descending. e.g. created_at:1",
        )
    if sort is not None and sort.split(":")[0].startswith(("user_metadata", "app_metadata")):
        raise query_invalid("sort", f"Sorting by metadata fields is not supported: {sort}")
    if per_page and (page + 1) * per_page > SEARCH_LIMIT:
        raise Auth0Error(400, INVALID_PAGING, "invalid_paging")
    fields, include = fields_projection(request)
    index = users_index(tenant)
    ids = index.search(request.query_params.get("q"), sort)
    start = page * per_page
    users = [project(index.entries[uid].doc(), fields, include) for uid in ids[start : start + per_page]]
    if not include_totals:
        return ok(users)
    # Auth0 never reports more than it would let you page through.
    return ok(
        {
            "start": start,
            "limit": per_page,
            "length": len(users),
            "total": min(len(ids), SEARCH_LIMIT),
            "users": users,
        }
    )


async def users_by_email(request: Request) -> Response:
    require(request, "read:users")
    email = query_str(request, "email", required=True)
    fields, include = fields_projection(request)
    users = directory_users_by_email(tenant_of(request), email or "")
    return ok([project(u, fields, include) for u in users])


# -- create -------------------------------------------------------------------------------------
@api_write("Create a User")
async def users_create(request: Request) -> Response:
    claims = require(request, "create:users")
    tenant = tenant_of(request)
    body = await request_body(request, allowed=CREATE_FIELDS, required=("connection",))
    _check_types(body)
    connection = connection_get_by_name(tenant, body["connection"])
    if connection is None:
        raise Auth0Error(400, "The connection does not exist.", "inexistent_connection")
    if connection.get("strategy") not in DATABASE_STRATEGIES:
        raise Auth0Error(
            400,
            "Connection does not support user creation through the API. It must either be "
            "a database or passwordless connection.",
            "operation_not_supported",
        )
    options = connection.get("options") or {}
    if not body.get("email"):
        raise payload_invalid("Missing required property: email")
    if not body.get("password"):
        raise payload_invalid("Missing required property: password")
    if body.get("username") and not options.get("requires_username"):
        raise Auth0Error(400, "Cannot set username for connection without requires_username", "invalid_body")
    if options.get("requires_username") and not body.get("username"):
        raise payload_invalid("Missing required property: username")
    weak = password_policy_check(connection, body["password"])
    if weak:
        raise Auth0Error(400, weak, "invalid_password")
    user_id = body.get("user_id")
    user = user_build(
        connection=connection["name"],
        email=body["email"].lower(),
        user_id=f"auth0|{user_id}" if user_id else None,
        email_verified=bool(body.get("email_verified", False)),
        username=body.get("username"),
        given_name=body.get("given_name"),
        family_name=body.get("family_name"),
        name=body.get("name"),
        nickname=body.get("nickname"),
        picture=body.get("picture"),
        phone_number=body.get("phone_number"),
        blocked=body.get("blocked"),
        user_metadata=body.get("user_metadata"),
        app_metadata=body.get("app_metadata"),
    )
    user_insert(tenant, user, password=body["password"])
    log_event_record(
        tenant,
        type="ss",
        user_id=user["user_id"],
        user_name=user.get("email"),
        connection=connection["name"],
        connection_id=connection["id"],
        client_id=claims.get("azp"),
        description="Created by the Management API",
    )
    # Auth0 sends a verification email unless told not to or the email is already verified.
    if body.get("verify_email", not user.get("email_verified")) and not user.get("email_verified"):
        verification_email_send(tenant, user, client_id=None)
    return ok(user, 201)


def verification_email_send(
    tenant: Tenant, user: dict, *, client_id: str | None, organization_id: str | None = None
) -> dict:
    """Put Auth0's 'verify your email' message, with a fresh ticket link, in the outbox."""
    link = ticket_create(
        tenant,
        kind="email_verification",
        user_id=user["user_id"],
        client_id=client_id,
        organization_id=organization_id,
    )
    return outbox_send(
        tenant,
        to=user["email"],
        kind="verify_email",
        subject="Verify your email",
        text=f"Hello {user.get('name') or user['email']},\n\nPlease verify your email address by following "
        f"this link:\n{link}\n",
        links=[link],
    )


# -- read / update / delete ---------------------------------------------------------------------
async def users_get(request: Request) -> Response:
    require(request, "read:users", "read:current_user", "read:user_idp_tokens")
    fields, include = fields_projection(request)
    return ok(project(user_or_404(request), fields, include))


def _metadata_merge(current: dict | None, patch: dict) -> dict:
    """Auth0's first-level merge: keys replace, ``null`` deletes, ``{}`` clears everything."""
    if patch == {}:
        return {}
    return fields_apply(dict(current or {}), patch)


@api_write("Update a User")
async def users_update(request: Request) -> Response:
    require(request, "update:users", "update:users_app_metadata", "update:current_user_metadata")
    tenant = tenant_of(request)
    body = await request_body(request, allowed=UPDATE_FIELDS)
    if not body:
        raise payload_invalid("Too few properties defined (0), minimum 1")
    _check_types(body)
    for a, b in EXCLUSIVE_UPDATES:
        if a in body and b in body:
            raise Auth0Error(400, f"Cannot update {a} and {b} simultaneously", "invalid_body")
    user = user_or_404(request)
    connection = connection_get_by_name(tenant, user_connection(user)) or {}
    is_database = connection.get("strategy") in DATABASE_STRATEGIES
    changes: dict[str, Any] = {}
    for name in (
        "blocked",
        "email_verified",
        "given_name",
        "family_name",
        "name",
        "nickname",
        "picture",
        "phone_number",
        "phone_verified",
    ):
        if name in body:
            changes[name] = body[name]
    for name in ("user_metadata", "app_metadata"):
        if name in body:
            changes[name] = _metadata_merge(user.get(name), body[name] or {})
    if "email" in body:
        if not is_database:
            raise Auth0Error(400, "Cannot update email for non-database user", "invalid_body")
        new_email = body["email"].lower()
        other = user_find_by_email(tenant, connection["name"], new_email)
        if other and other["user_id"] != user["user_id"]:
            raise Auth0Error(400, "The specified new email already exists", "email_conflict")
        changes["email"] = new_email
        # A changed address is unverified unless the caller says otherwise.
        changes["email_verified"] = bool(body.get("email_verified", False))
    if "username" in body:
        if not (connection.get("options") or {}).get("requires_username"):
            raise Auth0Error(
                400, "Cannot set username for connection without requires_username", "invalid_body"
            )
        other = user_find_by_username(tenant, connection["name"], body["username"])
        if other and other["user_id"] != user["user_id"]:
            raise Auth0Error(400, "The specified new username already exists", "username_conflict")
        changes["username"] = body["username"]
    if "password" in body:
        if not is_database:
            raise Auth0Error(400, "Cannot update password for non-database user", "invalid_body")
        weak = password_policy_check(connection, body["password"])
        if weak:
            raise Auth0Error(400, weak, "invalid_password")
    with tenant.store.transaction():
        if "password" in body:
            user_password_set(tenant, user["user_id"], body["password"], publish=False)
        updated = user_update(tenant, user["user_id"], changes)
    if "email" in body and body.get("verify_email") and not updated.get("email_verified"):
        verification_email_send(tenant, updated, client_id=body.get("client_id"))
    return ok(updated)


@api_write("Delete a User")
async def users_delete(request: Request) -> Response:
    claims = require(request, "delete:users", "delete:current_user")
    tenant = tenant_of(request)
    user = user_get(tenant, request.path_params["id"])
    if user is not None and user_delete(tenant, user["user_id"]):
        # Auth0 records the deletion itself as ``sdu`` beside the ``sapi`` of the API call (its log
        # schema: details.body names the connection and the tenant).
        connection = connection_get_by_name(tenant, user_connection(user)) or {}
        log_event_record(
            tenant,
            type="sdu",
            user_id=user["user_id"],
            user_name=user.get("email") or user.get("username"),
            client_id=claims.get("azp"),
            connection=connection.get("name"),
            connection_id=connection.get("id"),
            ip=request.client.host if request.client else None,
            details={"body": {"connection": connection.get("name"), "tenant": tenant.config.tenant_name}},
        )
    return no_content()


async def users_organizations(request: Request) -> Response:
    require(request, "read:users", "read:organizations")
    user = user_or_404(request)
    orgs = user_organizations(tenant_of(request), user["user_id"])
    return ok(paged(request, orgs, "organizations"))


def routes(tenant: Tenant) -> list[BaseRoute]:
    return [
        Route("/api/v2/users", users_list, methods=["GET"]),
        Route("/api/v2/users", users_create, methods=["POST"]),
        Route("/api/v2/users-by-email", users_by_email, methods=["GET"]),
        Route("/api/v2/users/{id}", users_get, methods=["GET"]),
        Route("/api/v2/users/{id}", users_update, methods=["PATCH"]),
        Route("/api/v2/users/{id}", users_delete, methods=["DELETE"]),
        Route("/api/v2/users/{id}/organizations", users_organizations, methods=["GET"]),
    ]
