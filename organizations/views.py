"""Organization pages: thin views over scoped selectors and services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizations import roles, schema, selectors, services
from organizations.access.guardrails import organizations_only_admin
from organizations.forms import (
    MetadataSchemaFormSet,
    OrganizationCreateForm,
    OrganizationSearchForm,
    OrganizationUpdateForm,
    RoleGrantForm,
    RoleRevokeForm,
)
from organizations.models import MetadataField, Organization, OrganizationRole
from portal.models import OperationKind
from portal.principal import Principal, company_admin_from_request, principal_from_request
from portal.web.followed import operation_follow, operations_followed
from portal.web.forms import form_errors_add
from portal.web.refusals import refusal_message

ORGANIZATIONS_PER_PAGE = 25


@login_required
@require_GET
def organization_list(request: HttpRequest) -> HttpResponse:
    principal = company_admin_from_request(request)
    search = OrganizationSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    organizations = selectors.organization_list(principal=principal, search=query).prefetch_related("domains")
    page = Paginator(organizations, ORGANIZATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "organizations/list.html", {"search": search, "page": page, "query": query})


@login_required
@require_GET
def organization_choose(request: HttpRequest) -> HttpResponse:
    principal = principal_from_request(request)
    organizations = list(selectors.organization_list(principal=principal))
    for organization in organizations:  # the role as people read it, not its stored value
        organization.role_label = principal.role_label_in(organization.pk)
    return render(request, "organizations/choose.html", {"organizations": organizations, "principal": principal})


@login_required
@require_http_methods(["GET", "POST"])
def organization_create(request: HttpRequest) -> HttpResponse:
    principal = company_admin_from_request(request)
    form = OrganizationCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organization = services.organization_create(
                actor=principal, slug=data["slug"], display_name=data["display_name"],
                membership_mode=data["membership_mode"], connection_name=data["connection_name"],
                domains=data["domains"], invite_link_lifetime_days=data["invite_link_lifetime_days"],
                accent_colour=data["accent_colour"], logo=data["logo"],
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("%(organization)s was created. Connecting it to Auth0…") % {
                "organization": organization.display_name})
            return redirect("organization_detail", slug=organization.slug)
    return render(request, "organizations/create.html", {"form": form})


def _detail_render(
    request: HttpRequest, principal: Principal, organization: Organization, *, grant_form: RoleGrantForm | None = None,
    status: int = 200,
) -> HttpResponse:
    operations = selectors.operation_list(principal=principal, organization=organization)
    can_admin = principal.can_admin(organization.pk)
    # Role grants this browser asked for: shown beside the form until their outcome has been seen.
    followed_grants = operations_followed(request, operations.filter(kind=OperationKind.ROLE_GRANT))
    for operation in followed_grants:  # the role as people read it, not its stored value
        operation.role_label = dict(OrganizationRole.Role.choices).get(operation.payload.get("role"), "")
    context = {
        "organization": organization,
        "principal": principal,
        "role_label": principal.role_label_in(organization.pk),
        "can_admin": can_admin,
        "provisioning": operations.filter(kind=OperationKind.ORGANIZATION_PROVISION).first(),
        "operations": operations[:10],
        "followed_grants": followed_grants,
        "roles": selectors.role_list(principal=principal, organization=organization),
        "grant_form": grant_form or (RoleGrantForm(organization=organization) if can_admin else None),
        "audit_events": selectors.audit_event_list(principal=principal, organization=organization)[:20],
        "schema": organization.metadata_fields.all(),
    }
    return render(request, "organizations/detail.html", context, status=status)


@login_required
@require_GET
def organization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = selectors.organization_get(principal=principal, slug=slug)
    return _detail_render(request, principal, organization)


@login_required
@require_http_methods(["GET", "POST"])
def organization_edit(request: HttpRequest, slug: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = selectors.organization_get(principal=principal, slug=slug)
    if not principal.is_company_admin:
        raise PermissionDenied
    form = OrganizationUpdateForm(request.POST or None, request.FILES or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.organization_update(
                actor=principal, organization=organization, display_name=data["display_name"],
                domains=data["domains"], invite_link_lifetime_days=data["invite_link_lifetime_days"],
                accent_colour=data["accent_colour"], logo=data["logo"], logo_remove=data["logo_remove"],
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("organization_detail", slug=organization.slug)
    return render(request, "organizations/edit.html", {"organization": organization, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def organization_schema(request: HttpRequest, slug: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = selectors.organization_get(principal=principal, slug=slug)
    if not principal.is_company_admin:
        raise PermissionDenied
    if request.method == "POST":
        formset = MetadataSchemaFormSet(request.POST, prefix="fields")
        if formset.is_valid():
            try:
                schema.metadata_schema_save(
                    actor=principal, organization=organization, fields=formset.schema_fields()
                )
            except schema.SchemaInvalid as exc:
                formset.service_errors_show(exc.field_errors)
            else:
                messages.success(request, _("The metadata schema was saved."))
                return redirect("organization_detail", slug=organization.slug)
    else:
        initial = [
            {**field, "choices": ", ".join(field["choices"] or [])}
            for field in organization.metadata_fields.values(*schema.SCHEMA_FIELD_KEYS)
        ]
        formset = MetadataSchemaFormSet(initial=initial, prefix="fields")
    return render(request, "organizations/schema.html", {
        "organization": organization, "formset": formset, "types": MetadataField.Type,
    })


@login_required
@require_POST
def organization_provision_retry(request: HttpRequest, slug: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = selectors.organization_get(principal=principal, slug=slug)
    try:
        services.organization_provision_request(actor=principal, organization=organization)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, _("Connecting the organization to Auth0 again…"))
    return redirect("organization_detail", slug=organization.slug)


@login_required
@require_POST
def role_grant(request: HttpRequest, slug: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = selectors.organization_get(principal=principal, slug=slug)
    if not principal.can_admin(organization.pk):
        raise PermissionDenied
    form = RoleGrantForm(request.POST, organization=organization)
    if form.is_valid():
        email, role = form.cleaned_data["email"], form.cleaned_data["role"]
        try:
            granted = roles.role_grant_request(actor=principal, organization=organization, email=email, role=role)
        except PermissionDenied as exc:  # a role above the actor's own
            form.add_error("role", str(exc))
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            if isinstance(granted, OrganizationRole):
                messages.success(request, _role_granted_message(granted.role) % {
                    "person": granted.name or granted.email, "organization": organization.display_name})
            else:  # the directory could not tell yet: a task looks in Auth0, the page follows it
                operation_follow(request, granted)
            return redirect("organization_detail", slug=organization.slug)
    return _detail_render(request, principal, organization, grant_form=form, status=400)


def _role_granted_message(role: str) -> str:
    """What the page says once someone holds ``role`` (one sentence per role, so that each reads right)."""
    if role == OrganizationRole.Role.ADMIN:
        return _("%(person)s is now admin of %(organization)s.")
    return _("%(person)s is now viewer of %(organization)s.")


def _role_revoked_message(role: str) -> str:
    if role == OrganizationRole.Role.ADMIN:
        return _("%(person)s is no longer admin of %(organization)s.")
    return _("%(person)s is no longer viewer of %(organization)s.")


@login_required
@require_http_methods(["GET", "POST"])
def role_revoke(request: HttpRequest, slug: str, role_id: int) -> HttpResponse:
    """GET asks for confirmation (removing someone's access is not undone by a click); POST removes."""
    principal = principal_from_request(request)
    organization = selectors.organization_get(principal=principal, slug=slug)
    role = selectors.role_get(principal=principal, organization=organization, role_id=role_id)
    if not principal.can_admin(organization.pk):
        raise PermissionDenied
    context = {
        "organization": organization, "role": role, "is_self": role.user_id == principal.user_id,
        "is_last_admin": role.role == OrganizationRole.Role.ADMIN and bool(
            organizations_only_admin(role.user_id, [organization])),
    }
    if request.method == "GET":
        return render(request, "organizations/role_revoke.html", context)
    form = RoleRevokeForm(request.POST)
    confirm = form.is_valid() and form.cleaned_data["confirm"]
    try:
        roles.role_revoke(actor=principal, role=role, confirm=confirm)
    except (ValidationError, PermissionDenied) as exc:
        error = refusal_message(exc)
        return render(request, "organizations/role_revoke.html", {**context, "error": error}, status=400)
    messages.success(request, _role_revoked_message(role.role) % {
        "person": role.name or role.email or _("The person"), "organization": organization.display_name})
    if role.user_id == principal.user_id and not principal.is_company_admin:
        return redirect("landing")
    return redirect("organization_detail", slug=organization.slug)


@login_required
@require_GET
def operation_detail(request: HttpRequest, slug: str, operation_id) -> HttpResponse:
    principal = principal_from_request(request)
    organization = selectors.organization_get(principal=principal, slug=slug)
    operation = selectors.operation_get(principal=principal, organization=organization, operation_id=operation_id)
    if request.GET.get("format") == "json":
        return JsonResponse({
            "id": str(operation.id), "kind": operation.kind, "kind_display": operation.get_kind_display(),
            "status": operation.status,
            "status_display": operation.get_status_display(), "attempts": operation.attempts,
            "last_error": operation.last_error, "finished": operation.is_finished,
        })
    return render(request, "organizations/operation.html", {"organization": organization, "operation": operation})


@require_GET
@cache_control(max_age=300, public=True)
def organization_logo(request: HttpRequest, slug: str) -> HttpResponse:
    """Branding is public (sign-in pages and emails show it); only raster images are ever stored."""
    organization = selectors.organization_by_slug_public(slug)
    if organization is None or not organization.logo:
        raise Http404
    response = HttpResponse(bytes(organization.logo), content_type=organization.logo_content_type)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@cache_control(max_age=300, public=True)
def organization_theme(request: HttpRequest, slug: str) -> HttpResponse:
    """The organization's accent colour as a stylesheet (the CSP allows no inline styles)."""
    organization = selectors.organization_by_slug_public(slug)
    if organization is None:
        raise Http404
    css = (
        f":root {{ --portal-accent: {organization.accent_colour}; "
        f"--portal-accent-contrast: {organization.accent_text_colour}; }}\n"
    )
    return HttpResponse(css, content_type="text/css")
