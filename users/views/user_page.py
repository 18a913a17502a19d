"""A user's page: who they are, their organizations, their metadata through each schema, their Auth0
activity and audit trail, and the acts offered to the viewer (each act's own page is in this package under
its act's name). Nothing here calls Auth0: opening the page queues a refresh of the person, and their
activity is fetched by a task.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from app_roles.acts import ACT
from app_roles.catalog import organization_grantable_roles
from app_roles.forms import AppRoleAssignForm
from app_roles.holdings import person_app_roles, person_app_roles_assignable
from organizations.access.guardrails import account_governed_check
from organizations.models import Organization
from organizations.selectors import operation_list, organization_get
from portal.models import OperationKind
from portal.principal import Principal, company_admin_from_request, principal_from_request
from portal.web.followed import operations_followed
from portal.web.refusals import refusal_of
from users.acts.account import user_action_for, user_actions_available
from users.acts.email_change import user_database_connection_check
from users.acts.rules import user_rights_check
from users.directory import selectors
from users.directory.activity import (
    user_activity_refresh_if_due,
    user_activity_refresh_pending,
    user_activity_refresh_request,
)
from users.directory.refresh import directory_user_refresh_request
from users.views.removal import removals_offered

AUDIT_EVENTS_SHOWN = 50


# -- a user's page ----------------------------------------------------------------------------------------
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$")


def picture_https_origin(url: str) -> str:
    """The origin of an https picture URL (which the page's CSP then allows for images), else ""."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme != "https" or not _HOST.match(parts.netloc or ""):
        return ""
    return f"https://{parts.netloc}"


def _detail_urls(organization: Organization | None, user_id: str) -> dict[str, str]:
    if organization is None:
        return {"list_url": reverse("directory_user_list"),
                "activity_url": reverse("directory_user_activity", kwargs={"user_id": user_id}),
                "detail_url": reverse("directory_user_detail", kwargs={"user_id": user_id})}
    kwargs = {"slug": organization.slug, "user_id": user_id}
    return {"list_url": reverse("user_list", kwargs={"slug": organization.slug}),
            "activity_url": reverse("user_activity", kwargs=kwargs),
            "detail_url": reverse("user_detail", kwargs=kwargs)}


def user_page_render(
    request: HttpRequest, principal: Principal, organization: Organization | None, user_id: str, *,
    app_role_form: AppRoleAssignForm | None = None, status: int = 200,
) -> HttpResponse:
    """A user's page (404 outside the principal's scope); ``app_role_form``: the role assignment sent and
    refused (``app_roles.views``), shown with its errors beside the field."""
    person = selectors.user_get(principal=principal, organization=organization, user_id=user_id)
    directory_user_refresh_request(person.user_id)  # the mirror catches up in the background
    activity = selectors.user_activity_get(principal=principal, organization=organization, user_id=person.user_id)
    user_activity_refresh_if_due(person.user_id, activity)
    organizations = list(selectors.user_organizations(principal=principal, user=person))
    schema_owners = [organization] if organization is not None else organizations
    schemas = [(o, list(selectors.user_metadata_fields(principal=principal, organization=o))) for o in schema_owners]
    picture_origin = picture_https_origin(person.picture)
    context = {
        "organization": organization,
        "person": person,
        "picture": person.picture if picture_origin else "",
        "schemas": schemas,
        "activity": activity,
        "activity_pending": user_activity_refresh_pending(person.user_id),
        "audit_events": selectors.user_audit_event_list(principal=principal, user=person)[:AUDIT_EVENTS_SHOWN],
        "person_organizations": organizations,
        "actions": _actions_offered(principal, organization, person, activity),
        "account_refusal": account_refusal(principal, organization, person),
        **_edits_offered(principal, organization, person),
        **_app_roles_shown(principal, organization, person, app_role_form),
        **removals_offered(principal, organization, person),
        # Acts on this user this browser asked for, whatever act they are: shown until their outcome has been
        # seen once.
        "followed_actions": operations_followed(request, operation_list(
            principal=principal, organization=organization).filter(target=person.user_id))
        if organization is not None else [],
        **_detail_urls(organization, person.user_id),
    }
    response = render(request, "users/detail.html", context, status=status)
    if picture_origin:
        response._csp_update = {"img-src": [picture_origin]}  # type: ignore[attr-defined]
    return response


def _actions_offered(principal: Principal, organization: Organization | None, person, activity) -> list:
    """The acts the page offers: on an organization's page, to its admins, those that make sense now."""
    if organization is None or not principal.can_admin(organization.pk):
        return []
    sign_in_blocked = bool(activity is not None and activity.blocks)
    actions = [user_action_for(principal, organization, person, action)
               for action in user_actions_available(person, sign_in_blocked=sign_in_blocked)]
    if account_refusal(principal, organization, person):
        # Someone this organization does not govern alone: the acts on their account are not offered (the
        # page says why); blocking (here) and unblocking are, their confirmation saying what they can do.
        actions = [a for a in actions if a.kind in _ALWAYS_SHOWN]
    return actions


# Offered even to an admin who may not act on the person's account: their confirmation explains.
_ALWAYS_SHOWN = {OperationKind.USER_BLOCK, OperationKind.USER_UNBLOCK, OperationKind.USER_BLOCK_HERE}


def account_refusal(principal: Principal, organization: Organization | None, person) -> str:
    """Why the account acts (emails, MFA reset, email change, blocking everywhere, deletion) are not offered
    to this admin for ``person`` ("" when they are): the guardrails' own words."""
    if organization is None or not principal.can_admin(organization.pk) or principal.is_company_admin:
        return ""
    return refusal_of(lambda: account_governed_check(organization, user_id=person.user_id,
                                                     name=person.display_name))


def _edits_offered(principal: Principal, organization: Organization | None, person) -> dict[str, bool]:
    """Whether the page links to the metadata and email pages (users.views.metadata, users.views.email_change):
    for the organization's admins, when the schema has a field they may edit, and when the user's address is
    one the portal can change."""
    if organization is None or not principal.can_admin(organization.pk):
        return {"can_edit_metadata": False, "can_change_email": False}
    try:
        user_database_connection_check(person)
        email_changeable = not account_refusal(principal, organization, person)
    except ValidationError:
        email_changeable = False
    return {
        "can_edit_metadata": selectors.user_metadata_fields_editable(principal=principal,
                                                                     organization=organization).exists(),
        "can_change_email": email_changeable,
    }


def _app_roles_shown(principal: Principal, organization: Organization | None, person,
                     form: AppRoleAssignForm | None) -> dict:
    """The person's application roles as the reader may see them, and for the organization's admins the form
    that gives one of the roles it may grant (or why they may not give this person any)."""
    shown = {"app_roles": person_app_roles(principal=principal, organization=organization, person=person),
             "app_roles_scoped": organization is not None and not principal.is_company_admin,
             "app_role_form": None, "app_role_refusal": "", "app_roles_grantable": False, "app_roles_admin": False}
    if organization is None or not principal.can_admin(organization.pk):
        return shown
    shown["app_roles_admin"] = True
    assignable = person_app_roles_assignable(organization=organization, person=person)
    shown["app_roles_grantable"] = bool(assignable) or organization_grantable_roles(organization).exists()
    shown["app_role_refusal"] = refusal_of(lambda: user_rights_check(principal, organization, person, ACT))
    if not shown["app_role_refusal"] and (assignable or form is not None):
        shown["app_role_form"] = form or AppRoleAssignForm(roles=assignable)
    return shown


@login_required
@require_GET
def user_detail(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    return user_page_render(request, principal, organization, user_id)


@login_required
@require_GET
def directory_user_detail(request: HttpRequest, user_id: str) -> HttpResponse:
    return user_page_render(request, company_admin_from_request(request), None, user_id)


def _activity(
    request: HttpRequest, principal: Principal, organization: Organization | None, user_id: str,
) -> HttpResponse:
    """GET: whether a fetch of the user's activity is under way (the page polls it). POST: queue one (any
    role that may see the user: it only reads), at most once a minute per user."""
    if request.method == "GET":
        activity = selectors.user_activity_get(principal=principal, organization=organization, user_id=user_id)
        return JsonResponse({
            "pending": user_activity_refresh_pending(user_id),
            "fetched_at": activity.fetched_at.isoformat() if activity and activity.fetched_at else None,
            "last_error": activity.last_error if activity else "",
        })
    person = selectors.user_get(principal=principal, organization=organization, user_id=user_id)
    if not user_activity_refresh_request(person.user_id):
        if user_activity_refresh_pending(person.user_id):
            messages.info(request, gettext("A refresh was asked for less than a minute ago; the activity shows "
                                           "here once Auth0 has answered."))
        else:
            messages.info(request, gettext("The activity was asked for less than a minute ago; you can ask again "
                                           "in a minute."))
    return redirect(_detail_urls(organization, person.user_id)["detail_url"] + "#activity")


@login_required
@require_http_methods(["GET", "POST"])
def user_activity(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    return _activity(request, principal, organization, user_id)


@login_required
@require_http_methods(["GET", "POST"])
def directory_user_activity(request: HttpRequest, user_id: str) -> HttpResponse:
    return _activity(request, company_admin_from_request(request), None, user_id)
