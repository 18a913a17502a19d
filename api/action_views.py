"""Acts: each calls the request half of the same service the pages call (which checks the caller's rights and
the guardrails, records the Operation and its audit event, and queues the task) and answers 202 with the
operation and a ``Location`` to poll. An ``Idempotency-Key`` header makes a retry safe (api.idempotency)."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api import examples
from api.base import ApiView
from api.errors import fields_renamed
from api.idempotency import HEADER, KEY_MAX_LENGTH, KEY_PATTERN, idempotent
from api.models import IdempotentRequest
from api.query import QueryParameter, query_read
from api.schema import error_response
from api.serializers import (
    DeleteInput,
    InviteInput,
    MetadataInput,
    OperationSerializer,
    RoleGrantInput,
    RoleRevokeInput,
    RoleSerializer,
    operation_url,
)
from api.views import (
    READ_ORGS,
    READ_USERS,
    WRITE_ORGS,
    WRITE_USERS,
    RoleListView,
    UserListView,
    openapi,
    organization_of,
    principal_of,
)
from organizations.models import OrganizationRole
from organizations.roles import role_grant_request, role_revoke
from organizations.selectors import role_get
from portal.models import Operation
from users.acts.account import USER_ACTIONS, user_action_request
from users.acts.invite import ON_ITS_WAY, user_invite_request
from users.acts.metadata import user_metadata_edit_request
from users.acts.removal import user_delete_request, user_remove_request

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER, {"type": "string", "minLength": 1, "maxLength": KEY_MAX_LENGTH, "pattern": KEY_PATTERN},
    OpenApiParameter.HEADER,
    description=f"Any unique key of 1 to {KEY_MAX_LENGTH} visible ASCII characters (a UUID): a retry with the same "
                "key gets the same operation back and nothing is done twice; the same key with a different "
                "request is a 422.")
ACCEPTED = OpenApiResponse(OperationSerializer, description="Queued: poll the Location header's operation")
ACT_RESPONSES = {202: ACCEPTED, 400: OpenApiResponse(description="Field errors"),
                 403: OpenApiResponse(description="insufficient_scope, or the caller may not do this to this user"),
                 404: OpenApiResponse(description="Outside the caller's organizations"),
                 422: OpenApiResponse(description="Idempotency-Key reused for another request")}


def accepted(operation: Operation) -> Response:
    operation = Operation.objects.select_related("organization").get(pk=operation.pk)
    return Response(OperationSerializer(operation).data, status=status.HTTP_202_ACCEPTED,
                    headers={"Location": operation_url(operation)})


def replay(earlier: IdempotentRequest) -> Response:
    if earlier.operation_id is not None:
        return accepted(earlier.operation)
    return Response(earlier.response, status=earlier.status_code)


def parsed(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def act(request: Request, request_operation) -> Response:
    """Run ``request_operation(idempotency_key)`` (a service's request half) under the Idempotency-Key rules."""
    def perform(key: str | None) -> tuple[Response, Operation]:
        operation = request_operation(key)
        return accepted(operation), operation
    return idempotent(request, perform, replay)


class UserCollectionView(UserListView):
    permissions_required = {"GET": READ_USERS, "POST": WRITE_USERS}

    @extend_schema(request=InviteInput, parameters=[IDEMPOTENCY_PARAMETER], examples=examples.INVITE,
                   responses={**ACT_RESPONSES, 409: error_response(
                       "invitation_on_its_way: an invitation to this email in this organization is already on its "
                       "way (not finished yet); nothing was recorded. Its operation is among the organization's "
                       "operations: invite again once it has finished, if still needed.", ON_ITS_WAY,
                       "An invitation to ada@acme.test is already on its way.")},
                   summary="Invite a user", description="Permission: users:write. The organization's mode decides "
                   "how: a new account, or the organization added to an existing one; they get a set-password email. "
                   "user_metadata and app_metadata set the schema's fields the caller may edit, by their rules; each "
                   "required field the caller may edit needs a value (errors are keyed '<target>.<key>'). "
                   "One invitation per email and organization is on its way at a time (a second is a 409). roles: "
                   "application roles (role_id values the organization may grant: GET .../app-roles/), given once "
                   "the person is ready, each an operation of its own; one outside the set is a 400 on roles.")
    def post(self, request: Request, slug: str) -> Response:
        organization = organization_of(request, slug)
        data = parsed(InviteInput, request)
        values = {target: data[target] for target in ("user_metadata", "app_metadata") if target in data}
        return act(request, lambda key: fields_renamed(lambda: user_invite_request(
            actor=principal_of(request), organization=organization, email=data["email"], name=data["name"],
            values=values, app_role_ids=data.get("roles") or [], idempotency_key=key), {"app_roles": "roles"}))


class UserMetadataView(ApiView):
    permissions_required = {"POST": WRITE_USERS}

    @extend_schema(request=MetadataInput, responses=ACT_RESPONSES, parameters=[IDEMPOTENCY_PARAMETER],
                   examples=examples.METADATA,
                   summary="Edit a user's metadata through the organization's schema",
                   description="Permission: users:write. Only the schema's fields the caller may edit; errors are "
                   "keyed '<target>.<key>'. Keys not given are left as they are; null deletes one.")
    def post(self, request: Request, slug: str, user_id: str) -> Response:
        organization = organization_of(request, slug)
        values = parsed(MetadataInput, request)
        return act(request, lambda key: user_metadata_edit_request(
            actor=principal_of(request), organization=organization, user_id=user_id, values=dict(values),
            idempotency_key=key))


class UserActionView(ApiView):
    permissions_required = {"POST": WRITE_USERS}

    @extend_schema(request=None, responses=ACT_RESPONSES, examples=examples.ACTION, parameters=[
        IDEMPOTENCY_PARAMETER, OpenApiParameter("action", str, OpenApiParameter.PATH, enum=sorted(USER_ACTIONS))],
        summary="Block, unblock, send a change-password or verification email, clear sign-in blocks, reset MFA",
        description="Permission: users:write. The guardrails hold: nobody locks themselves out, only "
                    "company-wide callers act on company admins, an organization's only admin is not blocked.")
    def post(self, request: Request, slug: str, user_id: str, action: str) -> Response:
        organization = organization_of(request, slug)
        user_action = USER_ACTIONS.get(action)
        if user_action is None:
            raise Http404(_("No such action."))
        return act(request, lambda key: user_action_request(
            actor=principal_of(request), organization=organization, user_id=user_id, action=user_action,
            idempotency_key=key))


class UserRemoveView(ApiView):
    permissions_required = {"POST": WRITE_USERS}

    @extend_schema(request=None, responses=ACT_RESPONSES, parameters=[IDEMPOTENCY_PARAMETER],
                   examples=examples.REMOVE, summary="Remove a user from the organization",
                   description="Permission: users:write.")
    def post(self, request: Request, slug: str, user_id: str) -> Response:
        organization = organization_of(request, slug)
        return act(request, lambda key: user_remove_request(
            actor=principal_of(request), organization=organization, user_id=user_id, idempotency_key=key))


class UserDeleteView(ApiView):
    permissions_required = {"POST": WRITE_USERS}

    @extend_schema(request=DeleteInput, responses=ACT_RESPONSES, parameters=[IDEMPOTENCY_PARAMETER],
                   examples=examples.DELETE,
                   summary="Delete a user's account", description="Permission: users:write. Confirmed by the "
                   "user's email in confirmation; organization-scoped callers delete users of isolated "
                   "organizations only.")
    def post(self, request: Request, slug: str, user_id: str) -> Response:
        organization = organization_of(request, slug)
        data = parsed(DeleteInput, request)
        return act(request, lambda key: user_delete_request(
            actor=principal_of(request), organization=organization, user_id=user_id,
            confirmation=data["confirmation"], idempotency_key=key))


class RoleCollectionView(RoleListView):
    permissions_required = {"GET": READ_ORGS, "POST": WRITE_ORGS}

    @extend_schema(request=RoleGrantInput, parameters=[IDEMPOTENCY_PARAMETER], examples=examples.ROLE_GRANT,
                   responses={201: RoleSerializer, **ACT_RESPONSES},
                   summary="Appoint an admin or viewer by email",
                   description="Permission: organizations:write. 201 with the role when the directory knows "
                               "the person; 202 with an operation when Auth0 must be asked first.")
    def post(self, request: Request, slug: str) -> Response:
        organization = organization_of(request, slug)
        data = parsed(RoleGrantInput, request)

        def perform(key: str | None) -> tuple[Response, Operation | None]:
            outcome = role_grant_request(actor=principal_of(request), organization=organization,
                                         email=data["email"], role=data["role"], idempotency_key=key)
            if isinstance(outcome, OrganizationRole):
                return Response(RoleSerializer(outcome).data, status=status.HTTP_201_CREATED), None
            return accepted(outcome), outcome
        return idempotent(request, perform, replay)


class RoleDetailView(ApiView):
    permissions_required = {"DELETE": WRITE_ORGS}
    query_parameters = [QueryParameter("confirm", {"type": "boolean"}, "true removes an organization's last admin "
                                                                       "(company-wide callers only)")]

    @extend_schema(request=None, parameters=openapi(query_parameters), responses={204: None},
                   summary="Remove an admin or viewer",
                   description="Permission: organizations:write. An organization keeps an admin unless a "
                               "company-wide caller confirms with confirm=true (the JSON body {\"confirm\": true} "
                               "that earlier versions documented is still read).")
    def delete(self, request: Request, slug: str, role_id: int) -> Response:
        principal = principal_of(request)
        organization = organization_of(request, slug)
        role = role_get(principal=principal, organization=organization, role_id=role_id)
        confirm = query_read(request, self.query_parameters).get("confirm", False)
        confirm = parsed(RoleRevokeInput, request)["confirm"] or confirm
        role_revoke(actor=principal, role=role, confirm=confirm)
        return Response(status=status.HTTP_204_NO_CONTENT)
