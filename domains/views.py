"""Pages of an organization's verified domains: thin views over domains.selectors and domains.services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from domains import selectors, services
from domains.forms import ConfirmForm, DomainAddForm
from organizations.selectors import organization_administered_get
from portal.principal import principal_from_request
from portal.web.forms import form_refusal_add
from portal.web.refusals import refusal_message


@login_required
@require_http_methods(["GET", "POST"])
def domain_list(request: HttpRequest, slug: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = organization_administered_get(principal=principal, slug=slug)
    form = DomainAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            domain = services.domain_add(actor=principal, organization=organization, name=form.cleaned_data["name"])
        except (ValidationError, PermissionDenied) as exc:
            form_refusal_add(form, exc, "name")
        else:
            messages.success(request, _("%(domain)s was added. Publish the record below, then check it.")
                             % {"domain": domain.name})
            return redirect("domain_detail", slug=organization.slug, domain_id=domain.pk)
    domains = selectors.domain_list(principal=principal, organization=organization)
    return render(request, "domains/list.html", {"organization": organization, "domains": domains, "form": form},
                  status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET"])
def domain_detail(request: HttpRequest, slug: str, domain_id: int) -> HttpResponse:
    principal = principal_from_request(request)
    organization = organization_administered_get(principal=principal, slug=slug)
    domain = selectors.domain_get(principal=principal, organization=organization, domain_id=domain_id)
    return render(request, "domains/detail.html", {"organization": organization, "domain": domain})


@login_required
@require_POST
def domain_verify(request: HttpRequest, slug: str, domain_id: int) -> HttpResponse:
    principal = principal_from_request(request)
    organization = organization_administered_get(principal=principal, slug=slug)
    domain = selectors.domain_get(principal=principal, organization=organization, domain_id=domain_id)
    try:
        services.domain_verify_request(actor=principal, domain=domain)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal_message(exc))
    else:
        messages.info(request, _("Checking the DNS record of %(domain)s… reload this page in a moment.")
                      % {"domain": domain.name})
    return redirect("domain_detail", slug=organization.slug, domain_id=domain.pk)


@login_required
@require_http_methods(["GET", "POST"])
def domain_remove(request: HttpRequest, slug: str, domain_id: int) -> HttpResponse:
    """GET asks for confirmation; POST removes."""
    principal = principal_from_request(request)
    organization = organization_administered_get(principal=principal, slug=slug)
    domain = selectors.domain_get(principal=principal, organization=organization, domain_id=domain_id)
    context = {"organization": organization, "domain": domain}
    if request.method == "GET":
        return render(request, "domains/remove.html", context)
    if not ConfirmForm(request.POST).is_valid():
        return render(request, "domains/remove.html", {**context, "error": _("Confirm the removal.")}, status=400)
    try:
        services.domain_remove(actor=principal, domain=domain)
    except (ValidationError, PermissionDenied) as exc:
        return render(request, "domains/remove.html", {**context, "error": refusal_message(exc)}, status=400)
    messages.success(request, _("%(domain)s was removed.") % {"domain": domain.name})
    return redirect("domain_list", slug=organization.slug)
