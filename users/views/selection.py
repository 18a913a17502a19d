"""The list's acts on a selection of users: the list posts the chosen people and act here (an act on an
application role asks for the role first); this page says, per person, what will happen or why it cannot, and
its confirmation queues the operations (then the organization's operations page follows them). Thin views: the
rules are ``users.acts.selection``'s."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from app_roles.forms import AppRoleSelectionForm
from organizations.selectors import organization_get
from portal.principal import principal_from_request
from portal.web.forms import form_refusal_add
from users.acts.selection import (
    SelectionAct,
    selection_act_for_role,
    selection_act_get,
    selection_people,
    selection_request,
    selection_review,
    selection_role_choices,
)


def _queued_message(count: int, label: str) -> str:
    return ngettext("%(act)s: queued for %(count)s user. Their progress shows below.",
                    "%(act)s: queued for %(count)s users. Their progress shows below.", count) % {
        "act": label, "count": f"{count:,}"}


@login_required
@require_POST
def user_selection(request: HttpRequest, slug: str) -> HttpResponse:
    """From the list: review the selection. From the review (``confirm``): queue the act for each person."""
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    if not principal.can_admin(organization.pk):
        raise PermissionDenied
    list_url = reverse("user_list", kwargs={"slug": organization.slug})
    user_ids = request.POST.getlist("user")
    try:
        act = selection_act_get(request.POST.get("act", ""))
        if act.role_verb:  # an application role's act: the role first, then the review
            act, role_page = _role_chosen(request, principal, organization, act, user_ids)
            if role_page is not None:
                return role_page
        if request.POST.get("confirm"):
            outcome = selection_request(actor=principal, organization=organization, user_ids=user_ids, act=act,
                                        token=request.POST.get("token", ""))
        else:
            items = selection_review(actor=principal, organization=organization, user_ids=user_ids, act=act)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(list_url)
    if request.POST.get("confirm"):
        if outcome.queued:
            messages.success(request, _queued_message(len(outcome.queued), act.label))
        for item in outcome.refused:
            messages.warning(request, gettext("Not done for %(name)s: %(refusal)s") % {
                "name": item.person.display_name, "refusal": item.refusal})
        return redirect(reverse("operation_list", kwargs={"slug": organization.slug}) if outcome.queued else list_url)
    doable = [item for item in items if not item.refusal]
    return render(request, "users/selection_confirm.html", {
        "organization": organization, "act": act, "items": items, "doable": doable,
        "refused": [item for item in items if item.refusal], "token": uuid.uuid4().hex, "list_url": list_url,
    })


def _role_chosen(request: HttpRequest, principal, organization, act: SelectionAct, user_ids: list[str]
                 ) -> tuple[SelectionAct, HttpResponse | None]:
    """The act for the role the request names, or the page that asks for one (from the list, or the role sent
    refused beside its field, the choice kept). A ValidationError for a selection of nobody."""
    choices = selection_role_choices(organization)
    form = AppRoleSelectionForm(request.POST if "role" in request.POST else None, choices=choices,
                                verb=act.role_verb)
    if form.is_bound and form.is_valid():
        try:
            return selection_act_for_role(act, organization, form.cleaned_data["role"]), None
        except ValidationError as exc:
            form_refusal_add(form, exc, "role")
    people = selection_people(actor=principal, organization=organization, user_ids=user_ids)
    return act, render(request, "users/selection_role.html", {
        "organization": organization, "act": act, "form": form, "people": people, "choices": choices,
        "list_url": reverse("user_list", kwargs={"slug": organization.slug}),
    }, status=400 if form.errors else 200)
