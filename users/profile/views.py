"""The self-service profile: the page every signed-in person has, whatever their role (DESIGN.md section 1), and
the acts it offers them on themselves.

No URL here takes a user id: every view works on the signed-in person, found by their own Auth0 id
(``users.directory.selectors.profile_*``); an organization slug in a URL or a form names one of their own organizations
(404 otherwise), which the page's branding and schema follow. Thin views: the rules are the services'
(``users.profile.acts``, ``users.acts.metadata``'s ``profile_metadata_edit_*``, ``users.profile.data_export``),
whose refusals are shown beside the field they concern or at the top of the page; nothing here calls
Auth0 (opening the page queues a refresh of the person and of their activity, and every act is an
operation the page follows).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizations.models import Organization
from portal.models import Operation, OperationKind
from portal.principal import Principal, principal_from_request
from portal.web.followed import operation_follow, operations_followed
from portal.web.forms import form_errors_add
from portal.web.refusals import refusal_message
from users.acts.metadata import TARGETS, metadata_field_name
from users.directory import selectors
from users.directory.activity import (
    event_is_sign_in,
    user_activity_refresh_if_due,
    user_activity_refresh_pending,
    user_activity_refresh_request,
)
from users.directory.refresh import directory_user_refresh_request
from users.models import DirectoryUser
from users.profile.acts import (
    profile_password_email_request,
    profile_password_home,
    profile_sessions_revoke_request,
    profile_verification_email_request,
)
from users.profile.data_export import profile_data_export_downloaded, profile_data_export_request
from users.profile.metadata import profile_metadata_edit_preview, profile_metadata_edit_request
from users.views.forms import UserMetadataForm
from users.views.metadata import metadata_review_context
from users.views.user_page import picture_https_origin

# How the page tells the person about what they asked for: while it is under way, once done, if it failed (the
# operation's error is put in that one, as %(error)s).
FOLLOWED_TEXT: dict[str, tuple[str, str, str]] = {
    OperationKind.PROFILE_METADATA_EDIT: (
        _("Saving your details…"), _("Your details were saved."), _("Your details could not be saved: %(error)s")),
    OperationKind.PROFILE_PASSWORD_EMAIL: (
        _("Sending you a change-password email…"), _("A change-password email is on its way to you."),
        _("The change-password email could not be sent: %(error)s")),
    OperationKind.PROFILE_VERIFICATION_EMAIL: (
        _("Sending you a verification email…"), _("A verification email is on its way to you."),
        _("The verification email could not be sent: %(error)s")),
    OperationKind.PROFILE_SESSIONS_REVOKE: (
        _("Signing you out of Auth0 everywhere…"),
        _("You are signed out everywhere: every other browser and app must sign in again."),
        _("Signing you out of Auth0 everywhere failed: %(error)s")),
    OperationKind.PROFILE_DATA_EXPORT: (
        _("Preparing the export of your data…"), _("Your data is ready: download it below."),
        _("The export of your data could not be prepared: %(error)s")),
    OperationKind.USER_JOIN_ACCEPT: (
        _("Joining the organization you accepted…"),
        _("You joined the organization: it is among your organizations."),
        _("Joining the organization failed: %(error)s")),
}
EXPORTS_SHOWN = 5


def _profile_url(organization: Organization | None) -> str:
    url = reverse("profile")
    return f"{url}?organization={organization.slug}" if organization is not None else url


def _shown_organization(request: HttpRequest, principal: Principal, organizations: list[Organization]
                        ) -> Organization | None:
    """The organization the page shows (its branding, its schema): ``?organization=<slug>`` among the person's
    own (404 for any other), else their first."""
    slug = request.GET.get("organization", "")
    if slug:
        return selectors.profile_organization_get(principal=principal, slug=slug)
    return organizations[0] if organizations else None


def _posted_organization(request: HttpRequest, principal: Principal) -> Organization | None:
    slug = request.POST.get("organization", "")
    return selectors.profile_organization_get(principal=principal, slug=slug) if slug else None


def _followed(request: HttpRequest, principal: Principal) -> list[dict[str, Any]]:
    shown = []
    for operation in operations_followed(request, selectors.profile_operation_list(principal=principal)):
        pending, done, failed = FOLLOWED_TEXT[operation.kind]
        if operation.status == Operation.Status.SUCCEEDED:
            text = str(done)
        elif operation.status == Operation.Status.FAILED:
            text = str(failed) % {"error": operation.last_error}
        else:
            text = str(pending)
        shown.append({"operation": operation, "text": text})
    return shown


def _metadata_rows(organization: Organization | None) -> tuple[list[Any], bool]:
    """The organization's fields the person sees, each marked editable or not; and whether any is editable."""
    if organization is None:
        return [], False
    editable = {metadata_field_name(f) for f in selectors.profile_metadata_fields_editable(organization=organization)}
    fields = list(selectors.profile_metadata_fields(organization=organization))
    for field in fields:
        field.self_editable = metadata_field_name(field) in editable
    return fields, bool(editable)


def _exports(principal: Principal) -> list[dict[str, Any]]:
    now, shown = timezone.now(), []
    for export in selectors.profile_data_export_list(principal=principal)[:EXPORTS_SHOWN]:
        if export.ready_at is not None:
            if export.expires_at and export.expires_at > now:
                shown.append({"export": export, "state": "ready"})
        elif export.operation is not None and export.operation.status == Operation.Status.FAILED:
            shown.append({"export": export, "state": "failed", "error": export.operation.last_error})
        else:
            shown.append({"export": export, "state": "preparing"})
    return shown


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    principal = principal_from_request(request)
    person: DirectoryUser | None = selectors.profile_person(principal=principal)
    organizations = list(selectors.profile_organizations(principal=principal))
    organization = _shown_organization(request, principal, organizations)
    directory_user_refresh_request(principal.user_id)  # the mirror catches up in the background
    activity = selectors.profile_activity_get(principal=principal)
    if person is not None:
        user_activity_refresh_if_due(person.user_id, activity)
    fields, can_edit = _metadata_rows(organization)
    origin = picture_https_origin(person.picture) if person is not None else ""
    context = {
        "organization": organization,
        "person": person,
        "account": request.user,
        "picture": person.picture if origin else "",
        "person_organizations": organizations,
        "metadata_fields": fields,
        "can_edit": can_edit,
        "password_home": profile_password_home(person) if person is not None else "",
        "verification_offered": bool(person and person.email and not person.email_verified),
        "activity": activity,
        "activity_events": [e for e in activity.events if event_is_sign_in(e)] if activity else [],
        "activity_pending": user_activity_refresh_pending(principal.user_id),
        "exports": _exports(principal),
        "followed": _followed(request, principal),
        "join_invitations": selectors.profile_join_invitation_list(principal=principal)
        .filter(expires_at__gt=timezone.now()),
    }
    response = render(request, "users/profile/page.html", context)
    if origin:
        response._csp_update = {"img-src": [origin]}  # type: ignore[attr-defined]
    return response


@login_required
@require_http_methods(["GET", "POST"])
def profile_metadata_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the form of the fields the person may edit in one of their organizations. POST: the review of what
    would change (or the form again, with its errors); POST with ``confirm``: queue the edit and return to the
    profile; POST with ``back``: the form, as it was typed. Every posted ``<target>.<key>`` goes to the service,
    the form's own and any other, so a crafted field is refused by name rather than silently dropped."""
    principal = principal_from_request(request)
    organization = selectors.profile_organization_get(principal=principal, slug=slug)  # 404 unless theirs
    person = selectors.profile_person(principal=principal)
    context: dict[str, Any] = {"organization": organization, "profile_url": _profile_url(organization)}
    if person is None:
        return render(request, "users/profile/edit.html", {
            **context, "refusal": gettext("Your profile has not been read from Auth0 yet: try again in a minute.")})
    fields = list(selectors.profile_metadata_fields_editable(organization=organization))
    editable = {metadata_field_name(f) for f in fields}
    context["read_only"] = [f for f in selectors.profile_metadata_fields(organization=organization)
                            if metadata_field_name(f) not in editable]
    form = UserMetadataForm(request.POST if request.method == "POST" else None, fields=fields, person=person)
    context["form"] = form
    if request.method == "GET" or "back" in request.POST:
        return render(request, "users/profile/edit.html", context)
    if not form.is_valid():  # only what no value may hold (a NUL character): the rules are the service's
        return render(request, "users/profile/edit.html", context, status=400)
    values = form.values()
    for name, value in request.POST.items():
        target, _, key = name.partition(".")
        if target in TARGETS and key and name not in form.fields:
            values.setdefault(target, {})[key] = value
    try:
        if "confirm" in request.POST:
            operation = profile_metadata_edit_request(actor=principal, organization=organization, values=values)
            operation_follow(request, operation)
            return redirect(_profile_url(organization))
        changes = profile_metadata_edit_preview(actor=principal, organization=organization, values=values)
    except ValidationError as exc:
        form_errors_add(form, exc)
        return render(request, "users/profile/edit.html", context, status=400)
    except PermissionDenied as exc:
        return render(request, "users/profile/edit.html", {**context, "refusal": str(exc)}, status=403)
    return render(request, "users/profile/review.html", {
        **context,
        **metadata_review_context(changes, form),
    })


def _act(request: HttpRequest, ask) -> HttpResponse:
    """A POST from the profile page that queues one act: follow it, or say why not at the top of the page."""
    principal = principal_from_request(request)
    organization = _posted_organization(request, principal)
    try:
        operation = ask(actor=principal, organization=organization)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal_message(exc))
    else:
        operation_follow(request, operation)
    return redirect(_profile_url(organization))


@login_required
@require_POST
def profile_password_email(request: HttpRequest) -> HttpResponse:
    return _act(request, profile_password_email_request)


@login_required
@require_POST
def profile_verification_email(request: HttpRequest) -> HttpResponse:
    return _act(request, profile_verification_email_request)


@login_required
@require_POST
def profile_data_export(request: HttpRequest) -> HttpResponse:
    return _act(request, lambda **kw: profile_data_export_request(**kw).operation)


@login_required
@require_http_methods(["GET", "POST"])
def profile_sessions_revoke(request: HttpRequest) -> HttpResponse:
    """GET: what signing out everywhere does, and the button. POST: do it; this browser stays signed in."""
    principal = principal_from_request(request)
    if request.method == "GET":
        organizations = list(selectors.profile_organizations(principal=principal))
        organization = _shown_organization(request, principal, organizations)
        return render(request, "users/profile/sign_out_everywhere.html",
                      {"organization": organization, "profile_url": _profile_url(organization)})
    organization = _posted_organization(request, principal)
    try:
        operation = profile_sessions_revoke_request(actor=principal, account=request.user, organization=organization)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal_message(exc))
    else:
        update_session_auth_hash(request, request.user)  # every other session ends; this one goes on
        operation_follow(request, operation)
        messages.success(request, gettext("Every other portal session of yours has ended."))
    return redirect(_profile_url(organization))


@login_required
@require_http_methods(["GET", "POST"])
def profile_activity(request: HttpRequest) -> HttpResponse:
    """GET: whether a fetch of the person's activity is under way (the page polls it). POST: ask for one, at most
    once a minute."""
    principal = principal_from_request(request)
    if request.method == "GET":
        activity = selectors.profile_activity_get(principal=principal)
        return JsonResponse({
            "pending": user_activity_refresh_pending(principal.user_id),
            "fetched_at": activity.fetched_at.isoformat() if activity and activity.fetched_at else None,
            "last_error": activity.last_error if activity else "",
        })
    if selectors.profile_person(principal=principal) is None:
        messages.info(request, gettext("Your profile has not been read from Auth0 yet: your activity shows once it "
                                       "has."))
    elif not user_activity_refresh_request(principal.user_id):
        messages.info(request, gettext("Your activity was asked for less than a minute ago; it shows here once "
                                       "Auth0 has answered."))
    return redirect(reverse("profile") + "#activity")


@login_required
@require_GET
@never_cache
def profile_data_export_download(request: HttpRequest, export_id) -> HttpResponse:
    """The person's own export, while it is offered; anyone else's, or an expired one, is a 404."""
    principal = principal_from_request(request)
    export = selectors.profile_data_export_get(principal=principal, export_id=export_id, now=timezone.now())
    profile_data_export_downloaded(actor=principal, export=export)
    response = HttpResponse(export.content, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="my-data-{export.ready_at:%Y-%m-%d}.json"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def profile_operation(request: HttpRequest, operation_id) -> JsonResponse:
    """The status of something the person asked for on their profile (operations.js polls it)."""
    operation = selectors.profile_operation_get(principal=principal_from_request(request), operation_id=operation_id)
    return JsonResponse({
        "id": str(operation.id), "status": operation.status, "status_display": operation.get_status_display(),
        "last_error": operation.last_error, "finished": operation.is_finished,
    })
