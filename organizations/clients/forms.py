"""The API client registration form: it only parses; the rules are organizations.clients.services'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from organizations.models import ApiPermission, Organization


class ApiClientForm(forms.Form):
    client_id = forms.CharField(label=_("Auth0 client id"), max_length=128,
                                help_text=_("The client id of the tool's Machine to Machine application in Auth0."))
    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("What people call the tool, e.g. Help desk."))
    all_organizations = forms.BooleanField(label=_("Every organization"), required=False,
                                           help_text=_("It may touch every organization, present and future."))
    organizations = forms.ModelMultipleChoiceField(
        label=_("Organizations"), required=False, queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple, help_text=_("Or only these."))
    permissions = forms.MultipleChoiceField(label=_("Permissions"), choices=ApiPermission.choices, required=False,
                                            widget=forms.CheckboxSelectMultiple,
                                            help_text=_("Its access tokens must carry the same scopes."))
    active = forms.BooleanField(label=pgettext_lazy("API client", "Active"), required=False, initial=True,
                                help_text=_("Clear to shut the tool out at once."))

    def __init__(self, *args, organizations, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organizations"].queryset = organizations
        if editing:
            self.fields["client_id"].disabled = True
        else:
            del self.fields["active"]
