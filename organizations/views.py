"""Organization pages: thin views over scoped selectors and services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizations import selectors, services
from organizations.forms import (
    MetadataSchemaFormSet,
    OrganizationCreateForm,
    OrganizationSearchForm,
    OrganizationUpdateForm,
    RoleGrantForm,
    RoleRevokeForm,
)
from organizations.models import MetadataField
from portal.principal import principal_from_request

ORGANIZATIONS_PER_PAGE = 25


def _form_errors_from(exc: ValidationError, form) -> None:
    """Put a service's ValidationError onto the form it came from, field by field where it can."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
@require_GET
def organization_list(request: HttpRequest) -> HttpResponse:
    principal = principal_from_request(request)
    if not principal.is_company_admin:
        raise Http404
    search = OrganizationSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    organizations = selectors.organization_list(principal=principal, search=query).prefetch_related("domains")
    page = Paginator(organizations, ORGANIZATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "organizations/list.html", {"search": search, "page": page, "query": query})


@login_required
@require_GET
def organization_choose(request: HttpRequest) -> HttpResponse:
    principal = principal_from_request(request)
    organizations = selectors.organization_list(principal=principal)
    return render(request, "organizations/choose.html", {"organizations": organizations, "principal": principal})


@login_required
@require_http_methods(["GET", "POST"])
def organization_create(request: HttpRequest) -> HttpResponse:
    principal = principal_from_request(request)
    if not principal.is_company_admin:
        raise Http404
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
            _form_errors_from(exc, form)
        else:
            messages.success(request, f"{organization.display_name} was created. Connecting it to Auth0…")
            return redirect("organization_detail", slug=organization.slug)
    return render(request, "organizations/create.html", {"form": form})


@login_required
@require_GET
def organization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = selectors.organization_get(principal=principal, slug=slug)
    operations = selectors.operation_list(principal=principal, organization=organization)
    context = {
        "organization": organization,
        "principal": principal,
        "role": principal.role_in(organization.pk),
        "can_admin": principal.can_admin(organization.pk),
        "provisioning": operations.filter(kind="organization_provision").first(),
        "operations": operations[:10],
        "roles": selectors.role_list(principal=principal, organization=organization),
        "audit_events": selectors.audit_event_list(principal=principal, organization=organization)[:20],
        "schema": organization.metadata_fields.all(),
    }
    return render(request, "organizations/detail.html", context)


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
            _form_errors_from(exc, form)
        else:
            messages.success(request, "Saved.")
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
                services.metadata_schema_save(
                    actor=principal, organization=organization, fields=formset.schema_fields()
                )
            except ValidationError as exc:
                formset._non_form_errors = formset.error_class(exc.messages)  # shown above the table
            else:
                messages.success(request, "The metadata schema was saved.")
                return redirect("organization_detail", slug=organization.slug)
    else:
        initial = [
            {**field, "choices": ", ".join(field["choices"] or [])}
            for field in organization.metadata_fields.values(*services.SCHEMA_FIELD_KEYS)
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
        services.organization_provision_retry(actor=principal, organization=organization)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, "Connecting the organization to Auth0 again…")
    return redirect("organization_detail", slug=organization.slug)


@login_required
@require_POST
def role_grant(request: HttpRequest, slug: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = selectors.organization_get(principal=principal, slug=slug)
    form = RoleGrantForm(request.POST)
    if form.is_valid():
        try:
            services.role_grant_request(
                actor=principal, organization=organization, email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.info(request, f"Looking up {form.cleaned_data['email']} among {organization.display_name}'s "
                                   "users; the role appears below when found.")
    else:
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    return redirect("organization_detail", slug=organization.slug)


@login_required
@require_POST
def role_revoke(request: HttpRequest, slug: str, role_id: int) -> HttpResponse:
    principal = principal_from_request(request)
    organization = selectors.organization_get(principal=principal, slug=slug)
    role = selectors.role_get(principal=principal, organization=organization, role_id=role_id)
    form = RoleRevokeForm(request.POST)
    confirm = form.is_valid() and form.cleaned_data["confirm"]
    try:
        services.role_revoke(actor=principal, role=role, confirm=confirm)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{role.email or role.user_id} is no longer {role.role}.")
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
            "id": str(operation.id), "kind": operation.kind, "status": operation.status,
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
