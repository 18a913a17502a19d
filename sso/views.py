"""Pages of an organization's SSO connections: thin views over sso.selectors and sso.services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from domains.selectors import domain_list
from organizations.selectors import organization_administered_get
from portal.principal import principal_from_request
from portal.web.forms import form_refusal_add
from portal.web.refusals import refusal_message
from sso import certificates, selectors, services
from sso.forms import CertificateForm, ConfirmForm, OidcConnectionForm, SamlConnectionForm, SecretForm
from sso.models import SsoConnection
from sso.provider_values import provider_values

STRATEGIES = {"saml": SamlConnectionForm, "oidc": OidcConnectionForm}


def _connection(request: HttpRequest, slug: str, connection_id: int):
    principal = principal_from_request(request)
    organization = organization_administered_get(principal=principal, slug=slug)
    connection = selectors.sso_connection_get(principal=principal, organization=organization,
                                              connection_id=connection_id)
    return principal, organization, connection


@login_required
@require_GET
def sso_connection_list(request: HttpRequest, slug: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = organization_administered_get(principal=principal, slug=slug)
    connections = selectors.sso_connection_list(principal=principal, organization=organization)
    verified = [d for d in domain_list(principal=principal, organization=organization) if d.is_verified]
    return render(request, "sso/list.html", {"organization": organization, "connections": connections,
                                             "verified_domains": verified})


@login_required
@require_http_methods(["GET", "POST"])
def sso_connection_create(request: HttpRequest, slug: str, strategy: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = organization_administered_get(principal=principal, slug=slug)
    form = STRATEGIES[strategy](request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if strategy == "saml":
                try:
                    metadata = form.metadata_xml()
                except ValidationError as exc:
                    raise ValidationError({"metadata_file": exc.messages}) from None
                connection = services.saml_connection_create(
                    actor=principal, organization=organization, display_name=data["display_name"],
                    metadata_xml=metadata, metadata_url=data["metadata_url"], idp_entity_id=data["idp_entity_id"],
                    sign_in_url=data["sign_in_url"], signing_cert=data["signing_cert"])
            else:
                connection = services.oidc_connection_create(
                    actor=principal, organization=organization, display_name=data["display_name"],
                    issuer=data["issuer"], client_id=data["client_id"], client_secret=data["client_secret"])
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, ValidationError) and hasattr(exc, "error_dict") and "metadata" in exc.error_dict:
                exc = ValidationError({"metadata_file": exc.error_dict.pop("metadata")})
            form_refusal_add(form, exc)
        else:
            messages.success(request, _("%(connection)s is being created. Give your provider the values below, then "
                                        "test it.") % {"connection": connection.display_name})
            return redirect("sso_connection_detail", slug=organization.slug, connection_id=connection.pk)
    return render(request, "sso/create.html", {"organization": organization, "form": form, "strategy": strategy},
                  status=400 if form.errors else 200)


def _detail_context(principal, organization, connection, change_form=None) -> dict:
    if change_form is None:
        change_form = CertificateForm() if connection.strategy == SsoConnection.Strategy.SAML else SecretForm()
    return {
        "organization": organization, "connection": connection, "values": provider_values(connection),
        "fingerprint": certificates.certificate_fingerprint(connection.signing_cert),
        "expires": certificates.certificate_expiry(connection.signing_cert),
        "operation": selectors.sso_connection_operations(connection).first(),
        "lockout": services.lockout_refusal(principal, connection), "change_form": change_form,
    }


@login_required
@require_GET
def sso_connection_detail(request: HttpRequest, slug: str, connection_id: int) -> HttpResponse:
    principal, organization, connection = _connection(request, slug, connection_id)
    return render(request, "sso/detail.html", _detail_context(principal, organization, connection))


@login_required
@require_http_methods(["POST"])
def sso_connection_change(request: HttpRequest, slug: str, connection_id: int) -> HttpResponse:
    principal, organization, connection = _connection(request, slug, connection_id)
    saml = connection.strategy == SsoConnection.Strategy.SAML
    restore = saml and request.POST.get("restore") == "previous"
    form = (CertificateForm if saml else SecretForm)(None if restore else request.POST)
    if restore or form.is_valid():
        data = {} if restore else form.cleaned_data
        try:
            services.connection_change(actor=principal, connection=connection, restore_previous=restore,
                                       signing_cert=data.get("signing_cert", ""),
                                       client_secret=data.get("client_secret", ""))
        except (ValidationError, PermissionDenied) as exc:
            if restore:
                messages.error(request, refusal_message(exc))
                return redirect("sso_connection_detail", slug=slug, connection_id=connection.pk)
            form_refusal_add(form, exc)
        else:
            messages.success(request, _("Saved. Test the connection again: the change reaches Auth0 in a moment."))
            return redirect("sso_connection_detail", slug=slug, connection_id=connection.pk)
    return render(request, "sso/detail.html", _detail_context(principal, organization, connection, form), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def sso_connection_switch(request: HttpRequest, slug: str, connection_id: int, on: bool) -> HttpResponse:
    """Turning on is a POST from the connection's page; turning off asks for confirmation first (GET)."""
    principal, organization, connection = _connection(request, slug, connection_id)
    context = {"organization": organization, "connection": connection,
               "lockout": services.lockout_refusal(principal, connection)}
    if request.method == "GET":
        if on:
            return redirect("sso_connection_detail", slug=slug, connection_id=connection.pk)
        return render(request, "sso/turn_off.html", context)
    if not on and not ConfirmForm(request.POST).is_valid():
        return render(request, "sso/turn_off.html", {**context, "error": _("Confirm first.")}, status=400)
    try:
        services.connection_switch(actor=principal, connection=connection, on=on)
    except (ValidationError, PermissionDenied) as exc:
        if on:
            messages.error(request, refusal_message(exc))
            return redirect("sso_connection_detail", slug=slug, connection_id=connection.pk)
        return render(request, "sso/turn_off.html", {**context, "error": refusal_message(exc)}, status=400)
    messages.success(request, (_("%(connection)s is on.") if on else _("%(connection)s is off."))
                     % {"connection": connection.display_name})
    return redirect("sso_connection_detail", slug=slug, connection_id=connection.pk)


@login_required
@require_http_methods(["GET", "POST"])
def sso_connection_remove(request: HttpRequest, slug: str, connection_id: int) -> HttpResponse:
    principal, organization, connection = _connection(request, slug, connection_id)
    context = {"organization": organization, "connection": connection}
    if request.method == "GET":
        return render(request, "sso/remove.html", context)
    if not ConfirmForm(request.POST).is_valid():
        return render(request, "sso/remove.html", {**context, "error": _("Confirm first.")}, status=400)
    try:
        services.connection_remove(actor=principal, connection=connection)
    except (ValidationError, PermissionDenied) as exc:
        return render(request, "sso/remove.html", {**context, "error": refusal_message(exc)}, status=400)
    messages.success(request, _("%(connection)s was removed.") % {"connection": connection.display_name})
    return redirect("sso_connection_list", slug=slug)
