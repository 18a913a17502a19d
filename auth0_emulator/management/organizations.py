"""``/api/v2/organizations``: Auth0 Organizations, their members, enabled connections and invitations."""

from __future__ import annotations

import re
import time
import urllib.parse

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..directory.connections import connection_get
from ..directory.formats import now_iso, random_id
from ..directory.organizations import (
    invitation_delete,
    invitation_get,
    invitation_list,
    invitation_put,
    organization_connection_put,
    organization_connection_remove,
    organization_connections,
    organization_delete,
    organization_get,
    organization_get_by_name,
    organization_list,
    organization_member_check,
    organization_members,
    organization_members_add,
    organization_members_remove,
    organization_put,
)
from ..directory.outbox import outbox_send
from ..directory.roles import organization_members_roles
from ..directory.users import user_get, users_summarized
from ..errors import Auth0Error
from ..tenant import Tenant
from .apilog import api_write
from .auth import require
from .common import (
    check_type,
    checkpointed,
    checkpointed_query,
    fields_apply,
    fields_projection,
    no_content,
    ok,
    paged,
    paged_query,
    payload_invalid,
    project,
    query_invalid,
    request_body,
    tenant_of,
    wants_checkpoint,
)

# Auth0's organization names: lower-case letters, digits, '-' and '_', starting with a letter or digit.
NAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,48}[a-z0-9])?$")
ORG_FIELDS = ("name", "display_name", "branding", "metadata", "enabled_connections")
UPDATE_FIELDS = ("name", "display_name", "branding", "metadata")
SORT = re.compile(r"^(display_name|created_at|name):(1|-1)$")
INVITATION_TTL_DEFAULT = 604800
INVITATION_TTL_MAX = 2592000


def org_not_found() -> Auth0Error:
    return Auth0Error(404, "No organization found by that id or name", "inexistent_organization")


def _org_or_404(request: Request) -> dict:
    org = organization_get(tenant_of(request), request.path_params["id"])
    if org is None:
        raise org_not_found()
    return org


def _check_org_body(body: dict) -> None:
    check_type(body, "name", str, "The name of this organization.")
    check_type(body, "display_name", str, "Friendly name of this organization.")
    check_type(body, "branding", dict)
    check_type(body, "metadata", dict)
    name = body.get("name")
    if name is not None and not NAME_PATTERN.match(name):
        raise payload_invalid(
            f"Object didn't pass validation for format organization-name: {name}",
            "name",
            "The name of this organization.",
        )
    colors = (body.get("branding") or {}).get("colors")
    if colors is not None and not (isinstance(colors, dict) and {"primary", "page_background"} <= set(colors)):
        raise payload_invalid("Missing required property: primary, page_background", "branding.colors",
                              "Color scheme used to customize the login pages.")
    metadata = body.get("metadata") or {}
    if len(metadata) > 25 or any(not isinstance(v, str) for v in metadata.values() if v is not None):
        raise payload_invalid("Organization metadata holds at most 25 string values", "metadata")


# -- organizations ------------------------------------------------------------------------------
async def orgs_list(request: Request) -> Response:
    require(request, "read:organizations", "read:organizations_summary")
    orgs = organization_list(tenant_of(request))
    sort = request.query_params.get("sort")
    if sort:
        if not SORT.match(sort):
            raise query_invalid("sort", f"String does not match pattern {SORT.pattern}: {sort}")
        field, direction = sort.split(":")
        key = "name" if field == "created_at" else field
        orgs.sort(key=lambda o: str(o.get(key) or ""), reverse=direction == "-1")
    if wants_checkpoint(request):
        return ok(checkpointed(request, orgs, "organizations", "id"))
    return ok(paged(request, orgs, "organizations"))


async def orgs_get(request: Request) -> Response:
    require(request, "read:organizations", "read:organizations_summary")
    return ok(_org_or_404(request))


async def orgs_get_by_name(request: Request) -> Response:
    require(request, "read:organizations", "read:organizations_summary")
    org = organization_get_by_name(tenant_of(request), request.path_params["name"])
    if org is None:
        raise org_not_found()
    return ok(org)


@api_write("Create an Organization")
async def orgs_create(request: Request) -> Response:
    require(request, "create:organizations")
    tenant = tenant_of(request)
    body = await request_body(request, allowed=ORG_FIELDS, required=("name",))
    _check_org_body(body)
    if organization_get_by_name(tenant, body["name"]):
        raise Auth0Error(409, "An organization with this name already exists.", "organization_conflict")
    org = {"id": random_id("org_"), "name": body["name"]}
    for key in ("display_name", "branding", "metadata"):
        if body.get(key) is not None:
            org[key] = body[key]
    with tenant.store.transaction():
        organization_put(tenant, org)
        for item in body.get("enabled_connections") or []:
            _connection_enable(tenant, org["id"], item)
    return ok(org, 201)


@api_write("Update an Organization")
async def orgs_update(request: Request) -> Response:
    require(request, "update:organizations")
    tenant = tenant_of(request)
    org = _org_or_404(request)
    body = await request_body(request, allowed=UPDATE_FIELDS)
    _check_org_body(body)
    if (
        body.get("name")
        and body["name"] != org["name"]
        and organization_get_by_name(tenant, body["name"])
    ):
        raise Auth0Error(409, "An organization with this name already exists.", "organization_conflict")
    organization_put(tenant, fields_apply(org, body))
    return ok(org)


@api_write("Delete an Organization")
async def orgs_delete(request: Request) -> Response:
    require(request, "delete:organizations")
    _org_or_404(request)
    organization_delete(tenant_of(request), request.path_params["id"])
    return no_content()


# -- members ------------------------------------------------------------------------------------
def _roles_asked(request: Request) -> bool:
    """Whether ``fields`` asks for the members' roles: Auth0 lists them only when ``fields=roles`` includes
    them (left out otherwise, however the other fields are chosen), and only to a token that may read them."""
    fields, include = fields_projection(request)
    if not (fields and include and "roles" in fields):
        return False
    require(request, "read:organization_member_roles")
    return True


async def members_list(request: Request) -> Response:
    # The spec's 403: "expected any of: read:organization_members, read:organization_member_roles".
    require(request, "read:organization_members", "read:organization_member_roles")
    tenant = tenant_of(request)
    org = _org_or_404(request)
    with_roles = _roles_asked(request)
    fields, include = fields_projection(request)
    org_id = org["id"]

    def shown(user_ids: list[str]) -> list[dict]:
        """A page's members as asked: projected, with their roles in the organization (read for this page only)."""
        described = users_summarized(tenant, user_ids)
        roles = organization_members_roles(tenant, org_id, [m["user_id"] for m in described]) if with_roles else {}
        return [project({**m, "roles": roles[m["user_id"]]} if with_roles else m, fields, include)
                for m in described]

    if wants_checkpoint(request):
        return ok(checkpointed_query(
            request, "members", lambda after, count: organization_members.after(tenant, org_id, after, count), shown,
            lambda user_id: organization_member_check(tenant, org_id, user_id)))
    return ok(paged_query(
        request, "members", lambda start, count: shown(organization_members.at(tenant, org_id, start, count)),
        lambda: organization_members.count(tenant, org_id)))


async def _member_ids(request: Request) -> list[str]:
    body = await request_body(request, required=("members",))
    members = body["members"]
    if not isinstance(members, list) or not members or not all(isinstance(m, str) for m in members):
        raise payload_invalid(
            "Array is too short (0), minimum 1" if members == [] else "Expected an array of user ids",
            "members",
            "List of user IDs to add to the organization as members.",
        )
    # The API log (apilog) names the members the write concerns.
    request.state.members = members
    return members


@api_write("Add members to an Organization")
async def members_add(request: Request) -> Response:
    require(request, "create:organization_members")
    tenant = tenant_of(request)
    org = _org_or_404(request)
    user_ids = await _member_ids(request)
    missing = [uid for uid in user_ids if user_get(tenant, uid) is None]
    if missing:
        raise Auth0Error(400, f"One or more users do not exist: {', '.join(missing)}", "invalid_body")
    organization_members_add(tenant, org["id"], user_ids)
    return no_content()


@api_write("Remove members from an Organization")
async def members_remove(request: Request) -> Response:
    require(request, "delete:organization_members")
    org = _org_or_404(request)
    organization_members_remove(tenant_of(request), org["id"], await _member_ids(request))
    return no_content()


# -- enabled connections ------------------------------------------------------------------------
def _connection_enable(tenant: Tenant, org_id: str, item: dict) -> dict:
    if not isinstance(item, dict) or not isinstance(item.get("connection_id"), str):
        raise payload_invalid("Missing required property: connection_id")
    connection = connection_get(tenant, item["connection_id"])
    if connection is None:
        raise Auth0Error(404, "The connection does not exist", "inexistent_connection")
    organization_connection_put(
        tenant,
        org_id,
        connection["id"],
        assign_membership_on_login=bool(item.get("assign_membership_on_login", False)),
        show_as_button=bool(item.get("show_as_button", True)),
    )
    return next(
        c
        for c in organization_connections(tenant, org_id)
        if c["connection_id"] == connection["id"]
    )


async def org_connections_list(request: Request) -> Response:
    require(request, "read:organization_connections")
    org = _org_or_404(request)
    return ok(
        paged(
            request, organization_connections(tenant_of(request), org["id"]), "enabled_connections"
        )
    )


@api_write("Enable a connection for an Organization")
async def org_connections_add(request: Request) -> Response:
    require(request, "create:organization_connections")
    org = _org_or_404(request)
    body = await request_body(
        request,
        allowed=("connection_id", "assign_membership_on_login", "is_signup_enabled", "show_as_button"),
        required=("connection_id",),
    )
    return ok(_connection_enable(tenant_of(request), org["id"], body), 201)


@api_write("Disable a connection for an Organization")
async def org_connections_remove(request: Request) -> Response:
    require(request, "delete:organization_connections")
    org = _org_or_404(request)
    organization_connection_remove(
        tenant_of(request), org["id"], request.path_params["connection_id"]
    )
    return no_content()


# -- invitations --------------------------------------------------------------------------------
def _invitation_public(invitation: dict) -> dict:
    return {k: v for k, v in invitation.items() if k != "ticket_id"}


@api_write("Create an Organization invitation")
async def invitations_create(request: Request) -> Response:
    require(request, "create:organization_invitations")
    tenant = tenant_of(request)
    org = _org_or_404(request)
    body = await request_body(
        request,
        allowed=(
            "inviter",
            "invitee",
            "client_id",
            "connection_id",
            "app_metadata",
            "user_metadata",
            "ttl_sec",
            "roles",
            "send_invitation_email",
        ),
        required=("inviter", "invitee", "client_id"),
    )
    inviter, invitee = body["inviter"], body["invitee"]
    if not isinstance(inviter, dict) or not isinstance(inviter.get("name"), str):
        raise payload_invalid("Missing required property: name", "inviter")
    if (
        not isinstance(invitee, dict)
        or not isinstance(invitee.get("email"), str)
        or "@" not in invitee["email"]
    ):
        raise payload_invalid("Missing required property: email", "invitee")
    check_type(body, "ttl_sec", int)
    ttl = body.get("ttl_sec") or INVITATION_TTL_DEFAULT
    if ttl < 0 or ttl > INVITATION_TTL_MAX:
        raise payload_invalid(f"Value {ttl} is out of range 0..{INVITATION_TTL_MAX}", "ttl_sec")
    client = tenant.store.client_get(body["client_id"])
    if client is None:
        raise Auth0Error(404, "The client does not exist", "inexistent_client")
    if body.get("connection_id") and connection_get(tenant, body["connection_id"]) is None:
        raise Auth0Error(404, "The connection does not exist", "inexistent_connection")
    ticket_id = random_id("", 32)
    # Auth0 sends invitees to the application's login route, and refuses to invite without one.
    login = client.get("initiate_login_uri")
    if not login:
        raise Auth0Error(400, "A default login route is required to generate the invitation url.")
    query = urllib.parse.urlencode(
        {"invitation": ticket_id, "organization": org["id"], "organization_name": org["name"]}
    )
    now = time.time()
    invitation = {
        "id": random_id("uinv_"),
        "organization_id": org["id"],
        "inviter": {"name": inviter["name"]},
        "invitee": {"email": invitee["email"]},
        "invitation_url": f"{login}?{query}",
        "created_at": now_iso(now),
        "expires_at": now_iso(now + ttl),
        "client_id": body["client_id"],
        "app_metadata": body.get("app_metadata") or {},
        "user_metadata": body.get("user_metadata") or {},
        "ticket_id": ticket_id,
    }
    if body.get("connection_id"):
        invitation["connection_id"] = body["connection_id"]
    if body.get("roles"):
        invitation["roles"] = body["roles"]
    invitation_put(tenant, invitation)
    if body.get("send_invitation_email", True):
        outbox_send(
            tenant,
            to=invitee["email"],
            kind="organization_invitation",
            subject=f"You've been invited to join {org.get('display_name') or org['name']}",
            text=f"{inviter['name']} has invited you to {org.get('display_name') or org['name']}.\n\n"
            f"Accept the invitation: {invitation['invitation_url']}\n",
            links=[invitation["invitation_url"]],
        )
    return ok(_invitation_public(invitation))  # the spec documents 200 here, not 201


async def invitations_list(request: Request) -> Response:
    require(request, "read:organization_invitations")
    org = _org_or_404(request)
    invitations = [_invitation_public(i) for i in invitation_list(tenant_of(request), org["id"])]
    if request.query_params.get("sort") == "created_at:-1":
        invitations.reverse()
    fields, include = fields_projection(request)
    invitations = [project(i, fields, include) for i in invitations]
    # Auth0's invitations envelope has no total.
    return ok(paged(request, invitations, "invitations", with_total=False))


async def invitations_get(request: Request) -> Response:
    require(request, "read:organization_invitations")
    org = _org_or_404(request)
    invitation = invitation_get(tenant_of(request), org["id"], request.path_params["invitation_id"])
    if invitation is None:
        raise Auth0Error(404, "The invitation does not exist", "inexistent_invitation")
    fields, include = fields_projection(request)
    return ok(project(_invitation_public(invitation), fields, include))


@api_write("Delete an Organization invitation")
async def invitations_delete(request: Request) -> Response:
    require(request, "delete:organization_invitations")
    org = _org_or_404(request)
    invitation_delete(tenant_of(request), org["id"], request.path_params["invitation_id"])
    return no_content()


def routes(tenant: Tenant) -> list[BaseRoute]:
    base = "/api/v2/organizations"
    return [
        Route(base, orgs_list, methods=["GET"]),
        Route(base, orgs_create, methods=["POST"]),
        Route(base + "/name/{name}", orgs_get_by_name, methods=["GET"]),
        Route(base + "/{id}", orgs_get, methods=["GET"]),
        Route(base + "/{id}", orgs_update, methods=["PATCH"]),
        Route(base + "/{id}", orgs_delete, methods=["DELETE"]),
        Route(base + "/{id}/members", members_list, methods=["GET"]),
        Route(base + "/{id}/members", members_add, methods=["POST"]),
        Route(base + "/{id}/members", members_remove, methods=["DELETE"]),
        Route(base + "/{id}/enabled_connections", org_connections_list, methods=["GET"]),
        Route(base + "/{id}/enabled_connections", org_connections_add, methods=["POST"]),
        Route(base + "/{id}/enabled_connections/{connection_id}", org_connections_remove, methods=["DELETE"]),
        Route(base + "/{id}/invitations", invitations_list, methods=["GET"]),
        Route(base + "/{id}/invitations", invitations_create, methods=["POST"]),
        Route(base + "/{id}/invitations/{invitation_id}", invitations_get, methods=["GET"]),
        Route(base + "/{id}/invitations/{invitation_id}", invitations_delete, methods=["DELETE"]),
    ]
