"""The application roles' pages: company admins choose what an organization's admins may grant (under the
organization's settings) and read the tenant's roles again; an organization's admins give a person a role and
take one away (from the person's page, ``users.views.user_page``, which shows their roles). Thin views: the
rules are ``app_roles.catalog``'s and ``app_roles.acts``'.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from app_roles.acts import app_role_assign_request, app_role_remove_refusal, app_role_remove_request
from app_roles.catalog import (
    grantable_roles_save,
    organization_grantable_roles,
    tenant_role_list,
    tenant_roles_refresh_request,
    tenant_roles_refreshed_at,
)
from app_roles.forms import AppRoleAssignForm, GrantableRolesForm
from app_roles.holdings import person_app_roles, person_app_roles_assignable
from organizations.selectors import operation_list, organization_get
from portal.models import OperationKind
from portal.principal import principal_from_request
from portal.web.followed import operation_follow, operations_followed
from portal.web.forms import form_errors_add, form_refusal_add
from users.views.support import act_confirm, admin_target_get
from users.views.user_page import user_page_render


def _company_admin_organization(request: HttpRequest, slug: str):
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)  # 404 outside the principal's scope
    if not principal.is_company_admin:
        raise PermissionDenied
    return principal, organization


@login_required
@require_http_methods(["GET", "POST"])
def organization_app_roles(request: HttpRequest, slug: str) -> HttpResponse:
    """Which of the tenant's roles the organization's admins may grant, as they see them: company admins only."""
    principal, organization = _company_admin_organization(request, slug)
    form = GrantableRolesForm(request.POST if request.method == "POST" else None,
                              roles=tenant_role_list(principal=principal),
                              grantable=organization_grantable_roles(organization))
    if request.method == "POST" and form.is_valid():
        try:
            grantable_roles_save(actor=principal, organization=organization, choices=form.choices(),
                                 default_role_id=form.cleaned_data["default"])
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("Saved the application roles %(organization)s's admins may grant.")
                             % {"organization": organization.display_name})
            return redirect("organization_app_roles", slug=organization.slug)
    refreshes = operations_followed(request, operation_list(principal=principal, organization=organization).filter(
        kind=OperationKind.APP_ROLES_REFRESH))
    return render(request, "app_roles/grantable.html", {
        "organization": organization, "form": form, "refreshed_at": tenant_roles_refreshed_at(),
        "followed_refreshes": refreshes,
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def organization_app_roles_refresh(request: HttpRequest, slug: str) -> HttpResponse:
    """Read the tenant's roles from Auth0 again, in a task the page then follows."""
    principal, organization = _company_admin_organization(request, slug)
    operation_follow(request, tenant_roles_refresh_request(actor=principal, organization=organization))
    return redirect("organization_app_roles", slug=organization.slug)


@login_required
@require_POST
def user_app_role_assign(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    """Give the person one of the roles the organization may grant; a refusal is shown beside the role on their
    page, what was chosen kept."""
    principal, organization, person = admin_target_get(request, slug, user_id)
    form = AppRoleAssignForm(request.POST, roles=person_app_roles_assignable(organization=organization, person=person))
    if form.is_valid():
        try:
            operation = app_role_assign_request(actor=principal, organization=organization, user_id=person.user_id,
                                                role_id=form.cleaned_data["role"])
        except (ValidationError, PermissionDenied) as exc:
            form_refusal_add(form, exc, "role")
        else:
            operation_follow(request, operation)
            return redirect(reverse("user_detail", kwargs={"slug": organization.slug, "user_id": person.user_id})
                            + "#app-roles")
    return user_page_render(request, principal, organization, person.user_id, app_role_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def user_app_role_remove(request: HttpRequest, slug: str, user_id: str, role_id: str) -> HttpResponse:
    """GET says what taking the organization's grant away does (or why it cannot be done); POST queues it."""
    principal, organization, person = admin_target_get(request, slug, user_id)
    held = next((h for h in person_app_roles(principal=principal, organization=organization, person=person)
                 if h.role_id == role_id and h.granted_here), None)
    detail_url = reverse("user_detail", kwargs={"slug": organization.slug, "user_id": person.user_id})
    names = {"organization": organization.display_name, "role": held.label if held else ""}
    if held:
        button = _("Remove %(role)s") % names
        consequence = _("%(organization)s's grant of %(role)s ends: they lose what it lets them do in the company's "
                        "applications, unless another grant of the same role keeps it (that grant is not "
                        "%(organization)s's to end).") % names
    else:  # not a grant of the organization's: the page says why it cannot be removed
        button = _("Remove an application role")
        consequence = _("%(organization)s's grant of an application role ends: they lose what it lets them do in "
                        "the company's applications, unless another grant of the same role keeps it (that grant is "
                        "not %(organization)s's to end).") % names
    action = {"button": button, "danger": True, "consequence": consequence}
    return act_confirm(
        request, template="users/action_confirm.html", refusal_key="error",
        context={"organization": organization, "person": person, "action": action, "detail_url": detail_url},
        refusal=app_role_remove_refusal(principal, organization, person, role_id),
        perform=lambda: app_role_remove_request(actor=principal, organization=organization, user_id=person.user_id,
                                                role_id=role_id),
        done=lambda operation: f"{detail_url}#app-roles",
    )
