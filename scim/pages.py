"""The organization's SCIM settings, for its admins (``/o/<slug>/settings/scim/``): the endpoint's address, the
providers' tokens (made, rotated and revoked behind a confirmation, each new token shown once), what a deactivation
does, and which group gives which application role. Thin views over ``scim.tokens`` and ``scim.mapping``; anyone
who does not administer the organization gets a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from app_roles.catalog import organization_grantable_roles
from organizations.selectors import organization_administered_get
from portal.principal import principal_from_request
from portal.web.forms import form_errors_add, form_refusal_add
from portal.web.refusals import refusal_message
from scim.forms import DeactivationForm, RoleMappingForm, TokenCreateForm
from scim.mapping import role_mapping_add, role_mapping_list, role_mapping_remove
from scim.models import ScimToken
from scim.tokens import (
    scim_deactivation_of,
    scim_deactivation_save,
    scim_token_create,
    scim_token_get,
    scim_token_list,
    scim_token_revoke,
    scim_token_rotate,
)


def _administered(request: HttpRequest, slug: str):
    principal = principal_from_request(request)
    return principal, organization_administered_get(principal=principal, slug=slug)  # 404 for anyone else


def _render(request: HttpRequest, principal, organization, *, token_form=None, deactivation_form=None,
            mapping_form=None, status: int = 200) -> HttpResponse:
    return render(request, "scim/settings.html", {
        "organization": organization,
        "endpoint": request.build_absolute_uri(f"/scim/v2/{organization.slug}"),
        "tokens": scim_token_list(principal=principal, organization=organization),
        "token_form": token_form or TokenCreateForm(),
        "deactivation_form": deactivation_form or DeactivationForm(
            initial={"deactivation": scim_deactivation_of(organization)}),
        "mapping_form": mapping_form or RoleMappingForm(roles=organization_grantable_roles(organization)),
        "mappings": role_mapping_list(principal=principal, organization=organization),
    }, status=status)


def _token_shown(request: HttpRequest, organization, token: ScimToken, secret: str) -> HttpResponse:
    response = render(request, "scim/token_shown.html", {
        "organization": organization, "token": token, "secret": secret,
        "endpoint": request.build_absolute_uri(f"/scim/v2/{organization.slug}")})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def scim_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """The page; its POST makes a token (shown once) or saves what a deactivation does (``form``)."""
    principal, organization = _administered(request, slug)
    if request.method == "GET":
        return _render(request, principal, organization)
    if request.POST.get("form") == "deactivation":
        form = DeactivationForm(request.POST)
        if form.is_valid():
            try:
                scim_deactivation_save(actor=principal, organization=organization,
                                       deactivation=form.cleaned_data["deactivation"])
            except (ValidationError, PermissionDenied) as exc:
                form_refusal_add(form, exc, "deactivation")
            else:
                messages.success(request, _("Saved what a deactivation does."))
                return redirect("scim_settings", slug=organization.slug)
        return _render(request, principal, organization, deactivation_form=form, status=400)
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        try:
            token, secret = scim_token_create(actor=principal, organization=organization,
                                              name=form.cleaned_data["name"])
        except ValidationError as exc:
            form_errors_add(form, exc)
        except PermissionDenied as exc:
            form_refusal_add(form, exc, "name")
        else:
            return _token_shown(request, organization, token, secret)
    return _render(request, principal, organization, token_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def scim_token_act(request: HttpRequest, slug: str, token_id: int, act: str) -> HttpResponse:
    """GET says what rotating or revoking the token does; POST does it (a rotation shows the new token once)."""
    principal, organization = _administered(request, slug)
    if act not in ("rotate", "revoke"):
        raise Http404
    try:
        token = scim_token_get(principal=principal, organization=organization, token_id=token_id)
    except ScimToken.DoesNotExist:
        raise Http404 from None
    error = "" if token.is_active else _("This token is revoked already.")
    if request.method == "POST" and not error:
        try:
            if act == "rotate":
                secret = scim_token_rotate(actor=principal, organization=organization, token=token)
                token.refresh_from_db()
                return _token_shown(request, organization, token, secret)
            scim_token_revoke(actor=principal, organization=organization, token=token)
        except (ValidationError, PermissionDenied) as exc:
            error = refusal_message(exc)
        else:
            messages.success(request, _("Revoked the token of %(name)s: it no longer works.") % {"name": token.name})
            return redirect("scim_settings", slug=organization.slug)
    return render(request, "scim/token_confirm.html", {"organization": organization, "token": token, "act": act,
                                                       "error": error}, status=400 if error else 200)


@login_required
@require_POST
def scim_role_mappings(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a mapping (a group's name and a role), or remove one (``remove`` = its id)."""
    principal, organization = _administered(request, slug)
    if request.POST.get("remove"):
        try:
            role_mapping_remove(actor=principal, organization=organization, mapping_id=int(request.POST["remove"]))
        except (ValueError, ValidationError, PermissionDenied):
            raise Http404 from None
        messages.success(request, _("Removed the mapping: the group no longer gives that role."))
        return redirect("scim_settings", slug=organization.slug)
    form = RoleMappingForm(request.POST, roles=organization_grantable_roles(organization))
    if form.is_valid():
        try:
            role_mapping_add(actor=principal, organization=organization, group_name=form.cleaned_data["group_name"],
                             role_id=form.cleaned_data["role"])
        except ValidationError as exc:
            form_errors_add(form, exc)
        except PermissionDenied as exc:
            form_refusal_add(form, exc, "group_name")
        else:
            messages.success(request, _("Saved the mapping."))
            return redirect("scim_settings", slug=organization.slug)
    return _render(request, principal, organization, mapping_form=form, status=400)
