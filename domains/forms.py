from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DomainAddForm(forms.Form):
    name = forms.CharField(
        label=_("Domain"), max_length=253,
        help_text=_("The part of your people's email addresses after the @, e.g. example.com."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"}),
    )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(required=True)
