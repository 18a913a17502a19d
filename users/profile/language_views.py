"""The profile's choice of language (users.profile.language holds the rule)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.principal import principal_from_request
from portal.web.forms import form_errors_add
from users.profile.language import profile_language_set


class ProfileLanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language"), required=False,
        help_text=gettext_lazy("The language of your pages and of the emails the portal sends you."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Your organization's, else your browser's")), *settings.LANGUAGES]


@login_required
@require_POST
def profile_language(request: HttpRequest) -> HttpResponse:
    form = ProfileLanguageForm(request.POST)
    if form.is_valid():
        try:
            profile_language_set(actor=principal_from_request(request), account=request.user,
                                 language=form.cleaned_data["language"])
        except ValidationError as exc:
            form_errors_add(form, exc)
    if form.errors:
        # The choices are a fixed list: only a crafted request gets here. Said at the top of the profile.
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("profile")
    # Said in the language just chosen (the page it leads to is in it too).
    with translation.override(request.user.language or translation.get_language()):
        messages.success(request, _("Your language was saved."))
    return redirect("profile")
