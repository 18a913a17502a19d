"""The audit trail's filters and the operations page's status filter, read from the query string so a
view of either page can be bookmarked and shared. An invalid value never breaks a page: it is left out
of the query, and the form says why beside its field."""

from __future__ import annotations

from django import forms

from history.selectors import OPERATION_GROUPS
from organizations.selectors import NO_ORGANIZATION, AuditQuery
from portal.audit import audit_action_choices
from users.views.forms import QuickDateInput, QuickSelect, QuickTextInput

ACTOR_MAX_LENGTH = 200
TARGET_MAX_LENGTH = 320  # an email address's longest


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=ACTOR_MAX_LENGTH, label="Actor", widget=QuickTextInput,
                            help_text="Name, email or user id.")
    action = forms.ChoiceField(required=False, label="Action", widget=QuickSelect)
    target = forms.CharField(required=False, max_length=TARGET_MAX_LENGTH, label="Target", widget=QuickTextInput,
                             help_text="A user's email or user id.")
    occurred_from = forms.DateField(required=False, label="From", widget=QuickDateInput,
                                    help_text="A day (UTC).")
    occurred_to = forms.DateField(required=False, label="To", widget=QuickDateInput,
                                  help_text="A day (UTC), included.")
    org = forms.ChoiceField(required=False, label="Organization", widget=QuickSelect)

    def __init__(self, data, *, organizations: list[tuple[str, str]] | None = None, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.fields["action"].choices = [("", "Any action"), *audit_action_choices()]
        if organizations is None:
            del self.fields["org"]
        else:
            self.fields["org"].choices = [("", "Any organization"), (NO_ORGANIZATION, "No organization"),
                                          *organizations]
        for name in ("occurred_from", "occurred_to"):
            if self.has_error(name, "invalid"):
                # A browser's date picker cannot show a value that is not a date: show what was typed.
                self.fields[name].widget = QuickTextInput(attrs={"placeholder": "YYYY-MM-DD"})

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("occurred_from"), data.get("occurred_to")
        if start and end and start > end:
            self.add_error("occurred_to", "The range ends before it starts.")
        return data

    def valid_data(self) -> dict:
        """The fields that are valid (an invalid one counts as not given)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}

    def query(self, *, targets: tuple[str, ...] = ()) -> AuditQuery:
        """The valid part of the input as a query; ``targets`` are the ids the target field stands for
        (the view resolves an email to the users who have it)."""
        data = self.valid_data()
        return AuditQuery(actor=(data.get("actor") or "").strip(), action=data.get("action") or "", targets=targets,
                          occurred_from=data.get("occurred_from"), occurred_to=data.get("occurred_to"),
                          organization_slug=data.get("org") or "")


class OperationFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, label="Show", widget=QuickSelect, choices=[
        ("", "All operations"), ("failed", "Failed"), ("unfinished", "Pending or running"),
        ("succeeded", "Succeeded"),
    ])

    def group(self) -> str:
        status = self.cleaned_data.get("status", "") if self.is_valid() else ""
        return status if status in OPERATION_GROUPS else ""

