"""Forms of the bulk onboarding pages: they read what was sent; the services decide."""

from __future__ import annotations

from django import forms

from onboarding.selectors import ROW_FILTERS


class BulkUploadForm(forms.Form):
    file = forms.FileField(label="CSV file", allow_empty_file=False,
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
                           error_messages={"required": "Choose a CSV file to upload.",
                                           "empty": "The file is empty: it needs a header line and rows."})


class BulkRowFilterForm(forms.Form):
    """Which rows a preview or a report shows (``?show=``), and the page."""

    show = forms.ChoiceField(required=False, choices=[("", "All rows"), *((k, k) for k in ROW_FILTERS)])

    def show_value(self) -> str:
        return self.cleaned_data.get("show", "") if self.is_valid() else ""
