"""The people blocked in an organization (``users.acts.block_here``): ``o/<slug>/users/blocked/`` lists them
(admins and viewers), and ``…/<user_id>/unblock/`` lifts a block (admins, behind a confirmation). Thin
views: every rule is the services'.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from organizations.selectors import organization_get
from portal.principal import principal_from_request
from users.acts.block_here import user_unblock_here_request
from users.directory import selectors
from users.views.support import act_confirm

BLOCKS_PER_PAGE = 50


@login_required
@require_GET
def organization_block_list(request: HttpRequest, slug: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    blocks = selectors.organization_block_list(principal=principal, organization=organization)
    page = Paginator(blocks, BLOCKS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "users/blocked.html", {
        "organization": organization, "page": page, "can_admin": principal.can_admin(organization.pk)})


@login_required
@require_http_methods(["GET", "POST"])
def organization_unblock(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    """GET says what lifting the block does; POST queues it and follows the operation."""
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    block = selectors.organization_block_get(principal=principal, organization=organization, user_id=user_id)
    if not principal.can_admin(organization.pk):
        raise PermissionDenied
    return act_confirm(
        request, template="users/unblock_here_confirm.html", context={"organization": organization, "held": block},
        perform=lambda: user_unblock_here_request(actor=principal, organization=organization, user_id=block.user_id),
        done=lambda operation: reverse("operation_detail",
                                       kwargs={"slug": organization.slug, "operation_id": operation.pk}),
    )
