"""The Management API budget, for company admins: what is left of each rate-limit group now and how
many operations wait for it, so that a slow queue explains itself."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from auth0_gateway.budget import budget_state
from portal.operations import operations_waiting_on_rate_limits
from portal.principal import company_admin_from_request


@login_required
@require_GET
def rate_limits_page(request: HttpRequest) -> HttpResponse:
    company_admin_from_request(request)
    return render(request, "users/rate_limits.html", {
        "groups": budget_state(),
        "waiting": operations_waiting_on_rate_limits(),
    })
