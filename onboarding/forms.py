"""Forms of the bulk onboarding pages: they read what was sent; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from onboarding.selectors import ROW_FILTERS


class BulkUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), allow_empty_file=False,
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
                           error_messages={"required": _("Choose a CSV file to upload."),
                                           "empty": _("The file is empty: it needs a header line and rows.")})


class BulkRowFilterForm(forms.Form):
    """Which rows a preview or a report shows (``?show=``), and the page."""

    show = forms.ChoiceField(required=False, choices=[("", _("All rows")), *((k, k) for k in ROW_FILTERS)])

    def show_value(self) -> str:
        return self.cleaned_data.get("show", "") if self.is_valid() else ""
