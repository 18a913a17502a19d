"""Inviting one person into an organization: the form (the email, a name, the schema's fields the admin may
set, the application roles the organization may grant), whose refusals (``users.acts.invite``) show beside the
field they concern."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from app_roles.catalog import organization_grantable_roles
from organizations.selectors import organization_get
from portal.principal import principal_from_request
from portal.web.followed import operation_follow
from portal.web.forms import form_errors_add
from users.acts.invite import user_invite_request
from users.acts.metadata import metadata_field_name
from users.directory import selectors
from users.views.forms import UserInviteForm


@login_required
@require_http_methods(["GET", "POST"])
def user_invite(request: HttpRequest, slug: str) -> HttpResponse:
    """Invite one person into the organization: its admins only (viewers see the list, not this)."""
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    if not principal.can_admin(organization.pk):
        raise PermissionDenied
    fields = list(selectors.user_metadata_fields_editable(principal=principal, organization=organization))
    settable = {metadata_field_name(f) for f in fields}
    # Required fields this admin sees but may not set: the invitation leaves them to those who may.
    left_to_others = [f.label for f in selectors.user_metadata_fields(principal=principal, organization=organization)
                      if f.required and metadata_field_name(f) not in settable]
    form = UserInviteForm(request.POST or None, fields=fields,
                          app_roles=list(organization_grantable_roles(organization)))
    if request.method == "POST" and form.is_valid():
        try:
            operation = user_invite_request(actor=principal, organization=organization,
                                            email=form.cleaned_data["email"], name=form.cleaned_data["name"],
                                            values=form.values(), app_role_ids=form.cleaned_data.get("app_roles") or [])
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            operation_follow(request, operation)
            return redirect("user_list", slug=organization.slug)
    return render(request, "users/invite.html", {"organization": organization, "form": form,
                                                 "left_to_others": left_to_others},
                  status=400 if form.errors else 200)
