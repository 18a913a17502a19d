"""Company admins register the REST API's machine clients: a list with a registration form, and a page to
change one. Thin views over organizations.clients.services (the rules) and the scoped selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from organizations.clients.forms import ApiClientForm
from organizations.clients.services import api_client_register, api_client_update
from organizations.selectors import api_client_list, organization_list
from portal.principal import company_admin_from_request
from portal.web.forms import form_errors_add


@login_required
@require_http_methods(["GET", "POST"])
def api_client_list_page(request: HttpRequest) -> HttpResponse:
    principal = company_admin_from_request(request)
    form = ApiClientForm(request.POST or None, organizations=organization_list(principal=principal))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            client = api_client_register(actor=principal, client_id=data["client_id"], name=data["name"],
                                         all_organizations=data["all_organizations"],
                                         organizations=data["organizations"], permissions=data["permissions"])
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("%(client)s is registered: its tokens now reach what you chose.") % {
                "client": client.name})
            return redirect("api_client_list")
    return render(request, "organizations/api_clients.html",
                  {"clients": api_client_list(principal=principal), "form": form},
                  status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def api_client_edit_page(request: HttpRequest, client_pk: int) -> HttpResponse:
    principal = company_admin_from_request(request)
    client = get_object_or_404(api_client_list(principal=principal), pk=client_pk)
    initial = {"client_id": client.client_id, "name": client.name, "all_organizations": client.all_organizations,
               "organizations": list(client.organizations.all()), "permissions": client.permissions,
               "active": client.active}
    form = ApiClientForm(request.POST or None, initial=initial, editing=True,
                         organizations=organization_list(principal=principal))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            client = api_client_update(actor=principal, client=client, name=data["name"],
                                       all_organizations=data["all_organizations"],
                                       organizations=data["organizations"], permissions=data["permissions"],
                                       active=data["active"])
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("%(client)s's registration was changed.") % {"client": client.name})
            return redirect("api_client_list")
    return render(request, "organizations/api_client_edit.html", {"client": client, "form": form},
                  status=400 if form.errors else 200)
