"""Reads: organizations, users, operations, the audit trail, roles. Each is one scoped selector (the same as
the pages'), so another organization's object is a 404 here as there."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from api import examples
from api.auth.caller import ApiCaller
from api.base import ApiView
from api.query import QueryParameter, choice, date, query_read, text
from api.serializers import (
    ApiEventPageSerializer,
    AuditPageSerializer,
    OperationPageSerializer,
    OperationSerializer,
    OrganizationSerializer,
    RoleSerializer,
    UserPageSerializer,
    UserSerializer,
)
from app_roles.catalog import grantable_role_refusal, organization_grantable_roles
from history.forms import ACTOR_MAX_LENGTH, TARGET_MAX_LENGTH, AuditFilterForm
from organizations.models import ApiPermission, Organization
from organizations.selectors import (
    AUDIT_NEWEST_FIRST,
    audit_event_list,
    operation_get,
    operation_list,
    organization_get,
    organization_list,
    role_list,
)
from organizations.webhooks.services import api_event_list, api_event_payload
from portal.audit import audit_action_choices
from portal.keyset import InvalidCursor, KeysetPage, KeysetPaginator, SortKey
from portal.models import Operation
from portal.principal import Principal
from users.directory.selectors import (
    PAGE_SIZES,
    SEARCH_MAX_LENGTH,
    user_get,
    user_ids_with_email,
    user_list_count,
    user_listing,
    user_metadata_fields,
)
from users.views.forms import UserListForm

READ_USERS, WRITE_USERS = ApiPermission.USERS_READ.value, ApiPermission.USERS_WRITE.value
READ_AUDIT = ApiPermission.AUDIT_READ.value
READ_ORGS, WRITE_ORGS = ApiPermission.ORGANIZATIONS_READ.value, ApiPermission.ORGANIZATIONS_WRITE.value
CURSOR_MAX_LENGTH = 2000
# A cursor is django.core.signing's text (portal.keyset): base64url, a leading "." when compressed, ":" before
# the signature. Anything else cannot be one, and is refused as damaged before it is read.
CURSOR_PATTERN = "^[A-Za-z0-9_.:-]*$"
CURSOR_DAMAGED = gettext_lazy("This cursor is damaged or out of date: pass a next_cursor or previous_cursor as it "
                              "was given.")
PAGE_SIZE_DEFAULT = 100
PAGE_SIZE_MAX = 500


def cursor_parameter(name: str, description: str) -> QueryParameter:
    return QueryParameter(name, {"type": "string", "maxLength": CURSOR_MAX_LENGTH, "pattern": CURSOR_PATTERN},
                          description, mismatch=CURSOR_DAMAGED)


CURSOR_PARAMETERS = [
    cursor_parameter("after", "The next_cursor of the page before (not with before)"),
    cursor_parameter("before", "The previous_cursor of the page after (not with after)"),
]
SIZE_PARAMETER = QueryParameter("size", {"type": "integer", "minimum": 1, "maximum": PAGE_SIZE_MAX},
                                f"Items per page (default {PAGE_SIZE_DEFAULT})")


def openapi(parameters: list[QueryParameter]) -> list[OpenApiParameter]:
    return [parameter.openapi() for parameter in parameters]


def principal_of(request: Request) -> Principal:
    caller: ApiCaller = request.user
    return caller.principal


def organization_of(request: Request, slug: str) -> Organization:
    """The organization in the URL if the caller may see it; 404 otherwise (no hint that it exists)."""
    return organization_get(principal=principal_of(request), slug=slug)


def form_errors(form) -> dict[str, list[str]]:
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


def page_read(query: dict[str, Any], paginator: KeysetPaginator) -> KeysetPage:
    """The page ``after`` or ``before`` asks for (the first without either); a cursor that is not ours is a
    400 (the query as ``query_read`` checked it)."""
    after, before = query.get("after", ""), query.get("before", "")
    try:
        if after and before:
            raise exceptions.ValidationError({"after": [gettext("Give after or before, not both.")]})
        if after:
            return paginator.after(after)
        if before:
            return paginator.before(before)
        return paginator.first()
    except InvalidCursor as exc:
        raise exceptions.ValidationError({"after" if after else "before": [str(exc)]}) from None


def page_size_of(query: dict[str, Any]) -> int:
    return query.get("size", PAGE_SIZE_DEFAULT)


class OrganizationListView(ApiView):
    permissions_required = {"GET": READ_ORGS}

    @extend_schema(responses=OrganizationSerializer(many=True), summary="Organizations the caller may see",
                   examples=examples.ORGANIZATION_LIST,
                   description="Permission: organizations:read.")
    def get(self, request: Request) -> Response:
        organizations = organization_list(principal=principal_of(request)).prefetch_related("domains")
        return Response(OrganizationSerializer(organizations, many=True).data)


class OrganizationDetailView(ApiView):
    permissions_required = {"GET": READ_ORGS}

    @extend_schema(responses=OrganizationSerializer, summary="One organization", examples=examples.ORGANIZATION_DETAIL,
                   description="Permission: organizations:read. 404 outside the caller's organizations.")
    def get(self, request: Request, slug: str) -> Response:
        return Response(OrganizationSerializer(organization_of(request, slug)).data)


class UserListView(ApiView):
    permissions_required = {"GET": READ_USERS}
    query_parameters = [
        text("q", SEARCH_MAX_LENGTH, "Every word must match the name, email, user id or a searchable metadata field"),
        choice("blocked", ["yes", "no"]),
        choice("verified", ["yes", "no"]),
        QueryParameter("never", {"type": "boolean"}, "Only users who never signed in (true or false)"),
        text("connection", 128, "Users of this connection only"),
        date("login_from", "Last sign-in on or after"),
        date("login_to", "Last sign-in on or before"),
        date("created_from", "Created on or after"),
        date("created_to", "Created on or before"),
        text("app_role", 64, "Holders of this application role (its role_id: one of the roles the organization "
                             "may grant)"),
        choice("sort", [value for value, _ in UserListForm.base_fields["sort"].choices]),
        QueryParameter("size", {"type": "integer", "enum": list(PAGE_SIZES)}, f"Users per page (default "
                                                                             f"{PAGE_SIZES[0]})"),
        *CURSOR_PARAMETERS,
    ]

    @extend_schema(
        summary="The organization's users: the directory's search, filters and sort, cursor-paged",
        description="Permission: users:read. The same query string as the user list page: q (every word must "
                    "match), blocked and verified (yes/no), never (true/false), connection, login_from/login_to, "
                    "created_from/created_to (YYYY-MM-DD), app_role (a role_id the organization may grant: its "
                    "holders), sort (a column, '-' first for descending), size "
                    f"(one of {', '.join(map(str, PAGE_SIZES))}); after/before cursors. Bad input, or a range "
                    "that ends before it starts, is a 400.",
        parameters=openapi(query_parameters), responses=UserPageSerializer, examples=examples.USER_LIST,
    )
    def get(self, request: Request, slug: str) -> Response:
        principal = principal_of(request)
        organization = organization_of(request, slug)
        checked = query_read(request, self.query_parameters)
        # The list page's form reads the same (now well-formed) values and adds what a schema cannot say: a
        # range that ends before it starts.
        app_roles = list(organization_grantable_roles(organization).values_list("role_id", "label"))
        form = UserListForm({name: request.query_params[name] for name in checked if name not in ("after", "before")},
                            app_roles=app_roles, app_roles_of=organization.display_name)
        if checked.get("app_role") and not app_roles:  # no role to filter by: the form has no such field
            raise exceptions.ValidationError({"app_role": [grantable_role_refusal(organization, checked["app_role"])]})
        if not form.is_valid():
            raise exceptions.ValidationError(form_errors(form))
        query = form.query()
        listing = user_listing(principal=principal, organization=organization, query=query)
        page = page_read(checked, KeysetPaginator(listing, query.sort_keys, query.page_size))
        total = user_list_count(principal=principal, organization=organization, query=query)
        return Response({
            "results": UserPageSerializer().fields["results"].to_representation(page.items),
            "total": total, "next_cursor": page.next_cursor, "previous_cursor": page.previous_cursor,
        })


class UserDetailView(ApiView):
    permissions_required = {"GET": READ_USERS}

    @extend_schema(responses=UserSerializer, summary="One user of the organization", examples=examples.USER_DETAIL,
                   description="Permission: users:read. The metadata is what the caller's role may see.")
    def get(self, request: Request, slug: str, user_id: str) -> Response:
        principal = principal_of(request)
        organization = organization_of(request, slug)
        user = user_get(principal=principal, organization=organization, user_id=user_id)
        fields = list(user_metadata_fields(principal=principal, organization=organization))
        return Response(UserSerializer(user, context={"metadata_fields": fields}).data)


class OperationListView(ApiView):
    permissions_required = {"GET": READ_USERS}
    query_parameters = [choice("status", list(Operation.Status.values)), SIZE_PARAMETER, *CURSOR_PARAMETERS]

    @extend_schema(
        summary="The organization's operations, newest first", responses=OperationPageSerializer,
        examples=examples.OPERATION_LIST,
        description="Permission: users:read. status filters by pending, running, succeeded or failed.",
        parameters=openapi(query_parameters),
    )
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_of(request, slug)
        query = query_read(request, self.query_parameters)
        operations = operation_list(principal=principal_of(request), organization=organization)
        if "status" in query:
            operations = operations.filter(status=query["status"])
        paginator = KeysetPaginator(operations.select_related("organization"),
                                    [SortKey("created_at", descending=True), SortKey("pk", descending=True)],
                                    page_size_of(query))
        page = page_read(query, paginator)
        return Response({"results": OperationSerializer(page.items, many=True).data,
                         "next_cursor": page.next_cursor, "previous_cursor": page.previous_cursor})


class OperationDetailView(ApiView):
    permissions_required = {"GET": READ_USERS}

    @extend_schema(responses=OperationSerializer, summary="One operation (poll it until it is finished)",
                   examples=examples.OPERATION_DETAIL,
                   description="Permission: users:read.")
    def get(self, request: Request, slug: str, operation_id) -> Response:
        organization = organization_of(request, slug)
        operation = operation_get(principal=principal_of(request), organization=organization,
                                  operation_id=operation_id)
        return Response(OperationSerializer(operation).data)


class AuditEventListView(ApiView):
    permissions_required = {"GET": READ_AUDIT}
    query_parameters = [
        text("actor", ACTOR_MAX_LENGTH, "The actor's name, email or user id"),
        choice("action", [value for value, _ in audit_action_choices()]),
        text("target", TARGET_MAX_LENGTH, "A user id, or an email: the users who have it"),
        date("occurred_from", "On or after (UTC)"),
        date("occurred_to", "On or before (UTC)"),
        SIZE_PARAMETER, *CURSOR_PARAMETERS,
    ]

    @extend_schema(
        summary="The organization's audit trail, newest first", responses=AuditPageSerializer,
        examples=examples.AUDIT_LIST,
        description="Permission: audit:read. The trail page's filters: actor (name, email or user id), action, "
                    "target (a user id, or an email: the users who have it), occurred_from/occurred_to "
                    "(YYYY-MM-DD, UTC, inclusive). Bad input, or a range that ends before it starts, is a 400.",
        parameters=openapi(query_parameters),
    )
    def get(self, request: Request, slug: str) -> Response:
        principal = principal_of(request)
        organization = organization_of(request, slug)
        checked = query_read(request, self.query_parameters)
        form = AuditFilterForm({name: request.query_params[name] for name in checked
                                if name not in ("after", "before", "size")})
        if not form.is_valid():
            raise exceptions.ValidationError(form_errors(form))
        target = (form.cleaned_data.get("target") or "").strip()
        targets: tuple[str, ...] = ()
        if "@" in target:  # an email: as recorded (invitations, appointments) and the users who have it
            email = target.lower()
            targets = (email, *user_ids_with_email(principal=principal, organization=organization, email=email))
        elif target:
            targets = (target,)
        events = audit_event_list(principal=principal, organization=organization, query=form.query(targets=targets))
        paginator = KeysetPaginator(events.select_related("organization"),
                                    AUDIT_NEWEST_FIRST,
                                    page_size_of(checked))
        page = page_read(checked, paginator)
        return Response({"results": AuditPageSerializer().fields["results"].to_representation(page.items),
                         "next_cursor": page.next_cursor, "previous_cursor": page.previous_cursor})


class RoleListView(ApiView):
    permissions_required = {"GET": READ_ORGS}

    @extend_schema(responses=RoleSerializer(many=True), summary="The organization's admins and viewers",
                   examples=examples.ROLE_LIST,
                   description="Permission: organizations:read.")
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_of(request, slug)
        roles = role_list(principal=principal_of(request), organization=organization)
        return Response(RoleSerializer(roles, many=True).data)


class ApiEventListView(ApiView):
    permissions_required = {"GET": READ_USERS}
    query_parameters = [
        QueryParameter("after", {"type": "string", "pattern": "^[0-9]{0,18}$"},
                       "The next_cursor of the page before (none: from the start)",
                       mismatch=gettext_lazy("This cursor is damaged: pass a next_cursor as it was given.")),
        SIZE_PARAMETER,
    ]

    @extend_schema(
        summary="Events of the caller's organizations, oldest first: operations that finished, users changed",
        description="Permission: users:read. A tool that was down catches up from its last next_cursor (the "
                    "same events its webhook gets, signed by the Standard Webhooks scheme). next_cursor is "
                    "always given: with no new events it is the cursor that was passed.",
        parameters=openapi(query_parameters), responses=ApiEventPageSerializer, examples=examples.EVENT_LIST,
    )
    def get(self, request: Request) -> Response:
        query = query_read(request, self.query_parameters)
        after = query.get("after") or "0"
        events = api_event_list(principal=principal_of(request), after=int(after), size=page_size_of(query))
        return Response({"results": [api_event_payload(e) for e in events],
                         "next_cursor": str(events[-1].pk) if events else after})
