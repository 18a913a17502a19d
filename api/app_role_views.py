"""Application roles over the API (docs/app-roles.md): the roles an organization may grant, the roles a user holds
as the caller may see them, and assigning and removing one. The acts call the same request halves as the user
page (``app_roles.acts``: rights, guardrails, the grantable set, audit) and answer 202 with the operation, with
Idempotency-Key as every act; a role outside the organization's grantable set is a 400 on ``role_id`` and records
nothing."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api import examples
from api.action_views import ACT_RESPONSES, IDEMPOTENCY_PARAMETER, act, parsed
from api.base import ApiView
from api.errors import fields_renamed
from api.schema import PATH_PATTERNS, error_response
from api.serializers import ROLE_ID_MAX_LENGTH, InputSerializer, TextField
from api.views import READ_USERS, WRITE_USERS, organization_of, principal_of
from app_roles.acts import app_role_assign_request, app_role_remove_request
from app_roles.catalog import organization_grantable_roles
from app_roles.holdings import person_app_roles
from app_roles.models import LABEL_MAX
from users.directory.selectors import user_get


class GrantableAppRoleSerializer(serializers.Serializer):
    role_id = serializers.CharField(help_text="The Auth0 role's id: what role_id takes")
    label = serializers.CharField(max_length=LABEL_MAX, help_text="How the organization's pages name it")
    description = serializers.CharField(allow_blank=True)
    default = serializers.BooleanField(source="is_default", help_text="Offered, chosen, to new invitations")


class HeldAppRoleSerializer(serializers.Serializer):
    role_id = serializers.CharField()
    label = serializers.CharField(help_text="The organization's label for it (a company-wide caller reading "
                                            "another organization's grant: the role's Auth0 name)")
    description = serializers.CharField(allow_blank=True)
    granted_by = serializers.CharField(help_text="Who granted it, as the caller may be told")
    granted_by_organization = serializers.CharField(
        source="granted_by_slug", allow_null=True,
        help_text="The slug of the organization that granted it, where the caller may know it; null otherwise (a "
                  "role held through another organization's grant, or set in Auth0)")
    granted_here = serializers.BooleanField(help_text="Granted by this organization: DELETE can take it away")

    def to_representation(self, instance) -> dict:
        data = super().to_representation(instance)
        data["granted_by_organization"] = data["granted_by_organization"] or None
        return data


class AppRoleAssignInput(InputSerializer):
    role_id = TextField(max_length=ROLE_ID_MAX_LENGTH, help_text="The Auth0 id of a role the organization may grant "
                                                                 "(GET .../app-roles/ lists them)")


# A refusal by the organization's grantable set or the person's roles, keyed as the API names the role.
ROLE_REFUSED = error_response(
    "role_id: not a role the organization may grant, already held through its grant or on its way (assign); "
    "not a grant of the organization's (remove). Also the other rules every act keeps (a guardrail). Nothing was "
    "changed.", "invalid_request", "Some of the input is not valid: see errors.",
    errors={"role_id": ["“rol_0000000000000000” is not an application role Acme may grant."]})
# The services name the role's field as the pages do.
ROLE_FIELD = {"role": "role_id"}
ROLE_ID_PARAMETER = OpenApiParameter("role_id", {"type": "string", "maxLength": ROLE_ID_MAX_LENGTH,
                                                 "pattern": PATH_PATTERNS["role_id"]},
                                     OpenApiParameter.PATH, description="The Auth0 role's id")


class GrantableAppRoleListView(ApiView):
    permissions_required = {"GET": READ_USERS}

    @extend_schema(responses=GrantableAppRoleSerializer(many=True), examples=examples.GRANTABLE_APP_ROLES,
                   summary="The application roles the organization may grant",
                   description="Permission: users:read. The roles a company admin made grantable for the "
                               "organization, by label: what the users' roles, the invitation's roles and the "
                               "user list's app_role filter take (by role_id).")
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_of(request, slug)
        return Response(GrantableAppRoleSerializer(organization_grantable_roles(organization), many=True).data)


class UserAppRoleCollectionView(ApiView):
    permissions_required = {"GET": READ_USERS, "POST": WRITE_USERS}

    @extend_schema(responses=HeldAppRoleSerializer(many=True), examples=examples.USER_APP_ROLES,
                   summary="A user's application roles, as the caller may see them",
                   description="Permission: users:read. An organization's callers see the roles it granted (by "
                               "its labels) and, where its roles are the tenant's, those it may grant that the "
                               "person holds through another grant (whose is not said); company-wide callers "
                               "see every grant and the organization that made it.")
    def get(self, request: Request, slug: str, user_id: str) -> Response:
        principal, organization = principal_of(request), organization_of(request, slug)
        held = person_app_roles(principal=principal, organization=organization,
                                person=user_get(principal=principal, organization=organization, user_id=user_id))
        return Response(HeldAppRoleSerializer(held, many=True).data)

    @extend_schema(request=AppRoleAssignInput, parameters=[IDEMPOTENCY_PARAMETER], examples=examples.APP_ROLE_ASSIGN,
                   responses={**ACT_RESPONSES, 400: ROLE_REFUSED},
                   summary="Assign an application role",
                   description="Permission: users:write. role_id must be one of the roles the organization may "
                               "grant (GET .../app-roles/); the organization's membership mode decides the Auth0 "
                               "call (a member role in its Auth0 Organization, else the user's role in the tenant).")
    def post(self, request: Request, slug: str, user_id: str) -> Response:
        organization = organization_of(request, slug)
        data = parsed(AppRoleAssignInput, request)
        return act(request, lambda key: fields_renamed(lambda: app_role_assign_request(
            actor=principal_of(request), organization=organization, user_id=user_id, role_id=data["role_id"],
            idempotency_key=key), ROLE_FIELD))


class UserAppRoleDetailView(ApiView):
    permissions_required = {"DELETE": WRITE_USERS}

    @extend_schema(request=None, parameters=[ROLE_ID_PARAMETER, IDEMPOTENCY_PARAMETER],
                   examples=examples.APP_ROLE_REMOVE, responses={**ACT_RESPONSES, 400: ROLE_REFUSED},
                   summary="Remove an application role the organization granted",
                   description="Permission: users:write. Ends the organization's own grant: Auth0 loses the role "
                               "unless another organization's grant keeps it (the operation's result says "
                               "removed_in_auth0). A role the organization did not grant is a 400 on role_id.")
    def delete(self, request: Request, slug: str, user_id: str, role_id: str) -> Response:
        organization = organization_of(request, slug)
        return act(request, lambda key: fields_renamed(lambda: app_role_remove_request(
            actor=principal_of(request), organization=organization, user_id=user_id, role_id=role_id,
            idempotency_key=key), ROLE_FIELD))
