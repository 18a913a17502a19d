"""Auth0's RBAC roles: ``/api/v2/roles`` (the tenant's roles, the users holding one, its permissions),
``/api/v2/users/{id}/roles`` (a user's roles in the whole tenant) and
``/api/v2/organizations/{id}/members/{user_id}/roles`` (a member's roles within one organization, apart
from their tenant roles).

What Auth0's spec leaves open follows what Auth0 was seen answering (its SDKs' and Terraform provider's
recorded exchanges): a new role is a 200, deleting one a 200 with ``{}``, a role's 404 is ``The role does
not exist.`` with no errorCode, and naming an unknown role in a write is a 404 ``No such role with id``.
The rest is this emulator's choice, listed in docs/emulator.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..directory.formats import random_id
from ..directory.organizations import organization_get, organization_member_check
from ..directory.roles import (
    organization_member_roles_add,
    organization_member_roles_list,
    organization_member_roles_remove,
    role_delete,
    role_get,
    role_get_by_name,
    role_holders,
    role_list,
    role_put,
    roles_missing,
    user_roles_add,
    user_roles_list,
    user_roles_remove,
)
from ..directory.users import user_get, users_summarized
from ..errors import Auth0Error
from ..tenant import Tenant
from .apilog import api_write
from .auth import require, require_all
from .common import (
    check_type,
    checkpointed_query,
    fields_apply,
    no_content,
    ok,
    paged,
    paged_query,
    payload_invalid,
    query_int,
    request_body,
    tenant_of,
    wants_checkpoint,
)
from .organizations import org_not_found
from .users.users import user_or_404

# The writes of a user's roles and of a member's roles (the directory's functions).
RolesWrite = Callable[[Tenant, str, list[str]], None]
MemberRolesWrite = Callable[[Tenant, str, str, list[str]], None]
ROLE_ID = re.compile(r"^rol_[A-Za-z0-9]{16}$")
# Auth0's documentation: up to 100 roles per member of an organization; more is the spec's 409.
MEMBER_ROLES_MAX = 100
NAME = "Name of the role."
DESCRIPTION = "Description of the role."


def role_not_found() -> Auth0Error:
    return Auth0Error(404, "The role does not exist.", None)


def _role_or_404(request: Request) -> dict:
    role = role_get(tenant_of(request), request.path_params["id"])
    if role is None:
        raise role_not_found()
    return role


def _check_role_body(body: dict) -> None:
    if "name" in body:
        if not isinstance(body["name"], str):
            check_type(body, "name", str, NAME)
            raise payload_invalid("Expected type string but found type null", "name", NAME)
        if not body["name"].strip():
            raise payload_invalid("String is too short (0 chars), minimum 1", "name", NAME)
    check_type(body, "description", str, DESCRIPTION)


def _ids(body: dict, key: str, description: str, *, min_items: int, role_ids: bool = False) -> list[str]:
    """``body[key]``, a list of ids as the spec's schema describes it, or Auth0's 400 naming what is wrong."""
    check_type(body, key, list, description)
    values = body[key]
    if not isinstance(values, list):
        raise payload_invalid("Expected type array but found type null", key, description)
    if len(values) < min_items:
        raise payload_invalid(f"Array is too short ({len(values)}), minimum {min_items}", key, description)
    for i, value in enumerate(values):
        item = f"{key}[{i}]"
        if not isinstance(value, str):
            check_type({item: value}, item, str, description)
            raise payload_invalid("Expected type string but found type null", item, description)
        if not value:
            raise payload_invalid("String is too short (0 chars), minimum 1", item, description)
        if role_ids and not ROLE_ID.match(value):
            raise payload_invalid(f"Object didn't pass validation for format role-id: {value}", item, description)
    return values


def _roles_exist(tenant: Tenant, role_ids: list[str]) -> None:
    missing = roles_missing(tenant, role_ids)
    if missing:
        raise Auth0Error(404, f"No such role with id: {missing[0]}", None)


# -- the tenant's roles ---------------------------------------------------------------------------
async def roles_list(request: Request) -> Response:
    require(request, "read:roles")
    roles = role_list(tenant_of(request), request.query_params.get("name_filter") or None)
    return ok(paged(request, roles, "roles"))


@api_write("Create a Role")
async def roles_create(request: Request) -> Response:
    require(request, "create:roles")
    tenant = tenant_of(request)
    body = await request_body(request, allowed=("name", "description"), required=("name",))
    _check_role_body(body)
    if role_get_by_name(tenant, body["name"]):
        raise Auth0Error(409, "The role already exists.", None)
    role = {"id": random_id("rol_"), "name": body["name"]}
    if body.get("description") is not None:
        role["description"] = body["description"]
    return ok(role_put(tenant, role))  # the spec documents 200 here, not 201


@api_write("Update a Role")
async def roles_update(request: Request) -> Response:
    require(request, "update:roles")
    role = _role_or_404(request)
    body = await request_body(request, allowed=("name", "description"))
    _check_role_body(body)
    tenant = tenant_of(request)
    other = role_get_by_name(tenant, body["name"]) if "name" in body else None
    if other is not None and other["id"] != role["id"]:
        raise Auth0Error(409, "The role already exists.", None)
    return ok(role_put(tenant, fields_apply(role, body)))


@api_write("Delete a Role")
async def roles_delete(request: Request) -> Response:
    require(request, "delete:roles")
    role = _role_or_404(request)
    role_delete(tenant_of(request), role["id"])
    return ok({})  # Auth0 answers 200 with an empty object


async def roles_get(request: Request) -> Response:
    require(request, "read:roles")
    return ok(_role_or_404(request))


async def role_permissions_list(request: Request) -> Response:
    """The emulator has no APIs (resource servers) and so no permissions: every role grants none."""
    require(request, "read:roles")
    _role_or_404(request)
    return ok(paged(request, [], "permissions"))


# -- a role's users -------------------------------------------------------------------------------
async def role_users(request: Request) -> Response:
    require_all(request, "read:users", "read:roles", alternative="read:role_members")
    role = _role_or_404(request)
    tenant = tenant_of(request)
    role_id = role["id"]
    if wants_checkpoint(request):
        return ok(checkpointed_query(
            request, "users", lambda after, count: role_holders.after(tenant, role_id, after, count),
            lambda user_ids: users_summarized(tenant, user_ids),
            lambda user_id: role_holders.includes(tenant, role_id, user_id)))
    return ok(paged_query(
        request, "users", lambda start, count: users_summarized(tenant, role_holders.at(tenant, role_id, start, count)),
        lambda: role_holders.count(tenant, role_id)))


@api_write("Assign users to a Role")
async def role_users_assign(request: Request) -> Response:
    require(request, "update:roles", "create:role_members")
    tenant = tenant_of(request)
    role = _role_or_404(request)
    body = await request_body(request, allowed=("users",), required=("users",))
    # The spec sets no minimum here (unlike the other lists of ids): an empty list assigns no one.
    user_ids = _ids(body, "users", "user_id's of the users to assign the role to.", min_items=0)
    if any(user_get(tenant, uid) is None for uid in user_ids):
        raise Auth0Error(404, "One or more of the users do not exist.", None)
    with tenant.store.transaction():
        for uid in dict.fromkeys(user_ids):
            user_roles_add(tenant, uid, [role["id"]])
    return ok({})  # 200 with an empty object, as Auth0 answers


# -- a user's tenant roles ------------------------------------------------------------------------
async def user_roles(request: Request) -> Response:
    require_all(request, "read:users", "read:roles", alternative="read:role_members")
    user = user_or_404(request)
    return ok(paged(request, user_roles_list(tenant_of(request), user["user_id"]), "roles"))


async def _user_roles_write(request: Request, description: str, write: RolesWrite) -> Response:
    tenant = tenant_of(request)
    body = await request_body(request, allowed=("roles",), required=("roles",))
    role_ids = _ids(body, "roles", description, min_items=1)
    user = user_or_404(request)
    _roles_exist(tenant, role_ids)
    write(tenant, user["user_id"], role_ids)
    return no_content()


@api_write("Assign roles to a User")
async def user_roles_assign(request: Request) -> Response:
    require(request, "update:users", "create:role_members")
    return await _user_roles_write(request, "List of roles IDs to associated with the user.", user_roles_add)


@api_write("Remove roles from a User")
async def user_roles_delete(request: Request) -> Response:
    require(request, "update:users", "delete:role_members")
    return await _user_roles_write(request, "List of roles IDs to remove from the user.", user_roles_remove)


# -- an organization member's roles ---------------------------------------------------------------
def _member_or_404(request: Request) -> tuple[str, str]:
    """(organization id, user id) of the path, when the organization exists and the user is its member.
    Auth0 answers a 404 for someone who is not a member; it publishes no message for it."""
    tenant = tenant_of(request)
    org = organization_get(tenant, request.path_params["id"])
    if org is None:
        raise org_not_found()
    user_id = request.path_params["user_id"]
    if not organization_member_check(tenant, org["id"], user_id):
        raise Auth0Error(404, "The user is not a member of the organization.", None)
    return org["id"], user_id


async def member_roles(request: Request) -> Response:
    require(request, "read:organization_member_roles")
    org_id, user_id = _member_or_404(request)
    # This operation's page index stops at 1,000 (the spec's maximum); paged checks the rest.
    query_int(request, "page", 0, maximum=1000,
              description="Page index of the results to return. First page is 0.")
    return ok(paged(request, organization_member_roles_list(tenant_of(request), org_id, user_id), "roles"))


async def _member_roles_write(
    request: Request, description: str, write: MemberRolesWrite, *, limited: bool = False
) -> Response:
    """Check the organization (404), the body (400), the membership and the roles (404), and with
    ``limited`` Auth0's most roles per member (409), in that order; then ``write``."""
    tenant = tenant_of(request)
    if organization_get(tenant, request.path_params["id"]) is None:
        raise org_not_found()
    body = await request_body(request, allowed=("roles",), required=("roles",))
    role_ids = _ids(body, "roles", description, min_items=1, role_ids=True)
    org_id, user_id = _member_or_404(request)
    _roles_exist(tenant, role_ids)
    held = {r["id"] for r in organization_member_roles_list(tenant, org_id, user_id)}
    if limited and len(held | set(role_ids)) > MEMBER_ROLES_MAX:
        raise Auth0Error(409, "No more roles can be assigned to this organization member.", None)
    write(tenant, org_id, user_id, role_ids)
    return no_content()


@api_write("Assign roles to an Organization member")
async def member_roles_assign(request: Request) -> Response:
    require(request, "create:organization_member_roles")
    return await _member_roles_write(request, "List of roles IDs to associated with the user.",
                                     organization_member_roles_add, limited=True)


@api_write("Remove roles from an Organization member")
async def member_roles_delete(request: Request) -> Response:
    require(request, "delete:organization_member_roles")
    return await _member_roles_write(
        request, "List of roles IDs associated with the organization member to remove.",
        organization_member_roles_remove,
    )


def routes(tenant: Tenant) -> list[BaseRoute]:
    member = "/api/v2/organizations/{id}/members/{user_id}/roles"
    return [
        Route("/api/v2/roles", roles_list, methods=["GET"]),
        Route("/api/v2/roles", roles_create, methods=["POST"]),
        Route("/api/v2/roles/{id}", roles_get, methods=["GET"]),
        Route("/api/v2/roles/{id}", roles_update, methods=["PATCH"]),
        Route("/api/v2/roles/{id}", roles_delete, methods=["DELETE"]),
        Route("/api/v2/roles/{id}/permissions", role_permissions_list, methods=["GET"]),
        Route("/api/v2/roles/{id}/users", role_users, methods=["GET"]),
        Route("/api/v2/roles/{id}/users", role_users_assign, methods=["POST"]),
        Route("/api/v2/users/{id}/roles", user_roles, methods=["GET"]),
        Route("/api/v2/users/{id}/roles", user_roles_assign, methods=["POST"]),
        Route("/api/v2/users/{id}/roles", user_roles_delete, methods=["DELETE"]),
        Route(member, member_roles, methods=["GET"]),
        Route(member, member_roles_assign, methods=["POST"]),
        Route(member, member_roles_delete, methods=["DELETE"]),
    ]
