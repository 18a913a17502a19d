from __future__ import annotations

from django import forms


class DomainAddForm(forms.Form):
    name = forms.CharField(
        label="Domain", max_length=253,
        help_text="The part of your people's email addresses after the @, e.g. example.com.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"}),
    )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(required=True)
