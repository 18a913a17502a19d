"""Forms of the application roles' pages. They only read what was sent: which roles may be granted, and to whom,
is the services' to say (``app_roles.catalog``, ``app_roles.acts``), and their refusals are shown beside these
forms' fields."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from app_roles.catalog import GrantableChoice
from app_roles.models import DESCRIPTION_MAX, LABEL_MAX, GrantableRole, TenantRole

NO_ROLE = _("Choose a role")
# A selection's act on a role (``verb``) says what is missing in its own words.
ROLE_REQUIRED = {"assign": _("Choose a role to assign."), "remove": _("Choose a role to remove.")}


class AnyRoleField(forms.ChoiceField):
    """A select of roles that passes on whatever role id is sent: a role outside the offered ones is refused by
    the service, with its own words, beside the field (a crafted request too)."""

    def valid_value(self, value) -> bool:
        return True


class AnyRolesField(forms.MultipleChoiceField):
    """Boxes of roles (any number) that pass on whatever role ids are sent, for the service to check."""

    widget = forms.CheckboxSelectMultiple

    def valid_value(self, value) -> bool:
        return True


def role_choices(roles: Iterable[GrantableRole]) -> list[tuple[str, str]]:
    return [(g.role_id, g.label) for g in roles]


class AppRoleAssignForm(forms.Form):
    """The role to give someone, among those their organization may grant and has not granted them."""

    role = AnyRoleField(label=_("Application role"), error_messages={"required": ROLE_REQUIRED["assign"]})

    def __init__(self, data=None, *, roles: Iterable[GrantableRole], **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.fields["role"].choices = [("", NO_ROLE), *role_choices(roles)]


class AppRoleSelectionForm(forms.Form):
    """The role an act on a selection of users is about (``users.views.selection``), among ``choices`` ((role id,
    label): the roles the organization may grant); ``verb``: assign or remove."""

    role = AnyRoleField(label=_("Application role"))

    def __init__(self, data=None, *, choices: list[tuple[str, str]], verb: str, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.fields["role"].choices = [("", NO_ROLE), *choices]
        self.fields["role"].error_messages["required"] = ROLE_REQUIRED.get(verb) or f"Choose a role to {verb}."


class GrantableRolesForm(forms.Form):
    """Which of the tenant's roles an organization's admins may grant: per role a box, the label and the
    description they see (fields ``<role id>.grantable``, ``.label``, ``.description``), and the default for
    new invitations (``default``)."""

    default = forms.ChoiceField(label=_("Default role for new invitations"), required=False,
                                help_text=_("Offered, already chosen, on the invitation form."))

    def __init__(self, data=None, *, roles: Iterable[TenantRole], grantable: Iterable[GrantableRole], **kwargs) -> None:
        super().__init__(data, **kwargs)
        current = {g.role_id: g for g in grantable}
        self.roles = list(roles)
        for role in self.roles:
            chosen = current.get(role.pk)
            self.fields[f"{role.pk}.grantable"] = forms.BooleanField(
                label=gettext("%(role)s: may be granted") % {"role": role.name}, required=False,
                initial=chosen is not None)
            self.fields[f"{role.pk}.label"] = forms.CharField(
                label=gettext("Label of %(role)s") % {"role": role.name}, required=False, max_length=LABEL_MAX * 2,
                initial=chosen.label if chosen else role.name)
            self.fields[f"{role.pk}.description"] = forms.CharField(
                label=gettext("Description of %(role)s") % {"role": role.name}, required=False,
                max_length=DESCRIPTION_MAX * 2,
                initial=chosen.description if chosen else role.description[:DESCRIPTION_MAX])
        self.fields["default"].choices = [("", pgettext("no default role", "None")),
                                          *((r.pk, r.name) for r in self.roles)]
        self.initial["default"] = next((g.role_id for g in current.values() if g.is_default), "")

    def rows(self) -> list[tuple[TenantRole, forms.BoundField, forms.BoundField, forms.BoundField]]:
        """Per role, its box, label and description (the page draws them as a table's row)."""
        return [(role, self[f"{role.pk}.grantable"], self[f"{role.pk}.label"], self[f"{role.pk}.description"])
                for role in self.roles]

    def choices(self) -> list[GrantableChoice]:
        return [GrantableChoice(role_id=role.pk, label=self.cleaned_data[f"{role.pk}.label"],
                                description=self.cleaned_data[f"{role.pk}.description"])
                for role in self.roles if self.cleaned_data.get(f"{role.pk}.grantable")]
