"""A tool's webhook, for company admins: its URL (the secret is shown once, when it is made), and the
delivery log with redelivery. Thin views over organizations.webhooks.services (the rules) and the scoped selectors."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from organizations.selectors import api_client_list
from organizations.webhooks.services import webhook_configure, webhook_delivery_list, webhook_redeliver
from portal.principal import company_admin_from_request
from portal.web.forms import form_errors_add


class WebhookForm(forms.Form):
    webhook_url = forms.CharField(
        label=gettext_lazy("Webhook URL"), required=False, max_length=500,
        help_text=gettext_lazy("Where the portal POSTs this tool's events (operations finished, users changed), "
                               "signed. Leave empty to stop sending them."))
    rotate = forms.BooleanField(label=gettext_lazy("Make a new signing secret (the old one stops working)"),
                                required=False)


@login_required
@require_http_methods(["GET", "POST"])
def api_client_webhook_page(request: HttpRequest, client_pk: int) -> HttpResponse:
    principal = company_admin_from_request(request)
    client = get_object_or_404(api_client_list(principal=principal), pk=client_pk)
    form = WebhookForm(request.POST or None, initial={"webhook_url": client.webhook_url})
    if request.method == "POST" and form.is_valid():
        try:
            secret = webhook_configure(actor=principal, client=client, url=form.cleaned_data["webhook_url"],
                                       rotate=form.cleaned_data["rotate"])
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            if secret:
                # Shown here, once: it is not kept anywhere a page can show it again.
                return render(request, "organizations/api_client_webhook_secret.html",
                              {"client": client, "secret": secret})
            messages.success(request, gettext("%(client)s's webhook was saved.") % {"client": client.name})
            return redirect("api_client_webhook", client_pk=client.pk)
    return render(request, "organizations/api_client_webhook.html",
                  {"client": client, "form": form, "deliveries": webhook_delivery_list(principal=principal,
                                                                                        client=client)},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def api_client_redeliver(request: HttpRequest, client_pk: int, delivery_pk: int) -> HttpResponse:
    principal = company_admin_from_request(request)
    client = get_object_or_404(api_client_list(principal=principal), pk=client_pk)
    delivery = get_object_or_404(client.deliveries.select_related("event__organization"), pk=delivery_pk)
    try:
        webhook_redeliver(actor=principal, delivery=delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, gettext("The event %(event)s is being sent again.") % {
            "event": delivery.event.message_id})
    return redirect("api_client_webhook", client_pk=client.pk)
