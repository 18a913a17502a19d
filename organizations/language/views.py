"""An organization's default language, for its admins and company admins (viewers see it, and may not change it).
Thin: organizations.language.services holds the rule."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from organizations.language.services import organization_language_set
from organizations.selectors import organization_get
from portal.principal import principal_from_request
from portal.web.forms import form_errors_add


def language_choices(none_label: str) -> list[tuple[str, str]]:
    """Each language by its own name (as a person looks for theirs), after the choice of none."""
    return [("", none_label), *settings.LANGUAGES]


class OrganizationLanguageForm(forms.Form):
    default_language = forms.ChoiceField(
        label=gettext_lazy("Default language"), required=False,
        help_text=gettext_lazy("The language of the portal's pages and emails for this organization's people, "
                               "unless a person chose their own on their profile."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_language"].choices = language_choices(_("None: each person's browser decides"))


@login_required
@require_http_methods(["GET", "POST"])
def organization_language(request: HttpRequest, slug: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    can_change = principal.can_admin(organization.pk)
    form = OrganizationLanguageForm(request.POST or None, initial={"default_language": organization.default_language})
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        if form.is_valid():
            try:
                organization_language_set(actor=principal, organization=organization,
                                          language=form.cleaned_data["default_language"])
            except ValidationError as exc:
                form_errors_add(form, exc)
            else:
                messages.success(request, _("The default language was saved."))
                return redirect("organization_language", slug=organization.slug)
    return render(request, "organizations/language.html",
                  {"organization": organization, "form": form, "can_change": can_change},
                  status=400 if form.errors else 200)
