"""The audit trail's filters and the operations page's status filter, read from the query string so a
view of either page can be bookmarked and shared. An invalid value never breaks a page: it is left out
of the query, and the form says why beside its field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from history.selectors import OPERATION_GROUPS
from organizations.selectors import NO_ORGANIZATION, AuditQuery
from portal.audit import audit_action_choices
from users.views.forms import QuickDateInput, QuickSelect, QuickTextInput

ACTOR_MAX_LENGTH = 200
TARGET_MAX_LENGTH = 320  # an email address's longest


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=ACTOR_MAX_LENGTH, label=gettext_lazy("Actor"),
                            widget=QuickTextInput, help_text=gettext_lazy("Name, email or user id."))
    action = forms.ChoiceField(required=False, label=pgettext_lazy("column: what was done", "Action"),
                               widget=QuickSelect)
    target = forms.CharField(required=False, max_length=TARGET_MAX_LENGTH, label=gettext_lazy("Target"),
                             widget=QuickTextInput, help_text=gettext_lazy("A user's email or user id."))
    occurred_from = forms.DateField(required=False, label=pgettext_lazy("audit filter: first day", "From"),
                                    widget=QuickDateInput, help_text=gettext_lazy("A day (UTC)."))
    occurred_to = forms.DateField(required=False, label=pgettext_lazy("audit filter: last day", "To"),
                                  widget=QuickDateInput, help_text=gettext_lazy("A day (UTC), included."))
    org = forms.ChoiceField(required=False, label=gettext_lazy("Organization"), widget=QuickSelect)

    def __init__(self, data, *, organizations: list[tuple[str, str]] | None = None, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.fields["action"].choices = [("", _("Any action")), *audit_action_choices()]
        if organizations is None:
            del self.fields["org"]
        else:
            self.fields["org"].choices = [("", _("Any organization")), (NO_ORGANIZATION, _("No organization")),
                                          *organizations]
        for name in ("occurred_from", "occurred_to"):
            if self.has_error(name, "invalid"):
                # A browser's date picker cannot show a value that is not a date: show what was typed.
                self.fields[name].widget = QuickTextInput(attrs={"placeholder": _("YYYY-MM-DD")})

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("occurred_from"), data.get("occurred_to")
        if start and end and start > end:
            self.add_error("occurred_to", _("The range ends before it starts."))
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
    status = forms.ChoiceField(required=False, label=pgettext_lazy("filter: which operations", "Show"),
                               widget=QuickSelect, choices=[
        ("", gettext_lazy("All operations")), ("failed", pgettext_lazy("operation status", "Failed")),
        ("unfinished", pgettext_lazy("operation status", "Pending or running")),
        ("succeeded", pgettext_lazy("operation status", "Succeeded")),
    ])

    def group(self) -> str:
        status = self.cleaned_data.get("status", "") if self.is_valid() else ""
        return status if status in OPERATION_GROUPS else ""

