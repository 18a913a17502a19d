"""Forms of the SCIM settings pages: they only read what was sent; the services (``scim.tokens``,
``scim.mapping``) say what is allowed, and their refusals are shown beside these fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from scim.models import NAME_MAX, Deactivation


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Identity provider"), max_length=NAME_MAX * 2,
                           help_text=_("How the audit trail names what it does, like Okta or Entra ID."),
                           error_messages={"required": _("Name the identity provider, like Okta.")})


class DeactivationForm(forms.Form):
    deactivation = forms.ChoiceField(label=_("When the identity provider deactivates someone"),
                                     choices=Deactivation.choices, widget=forms.RadioSelect)


class AnyRoleField(forms.ChoiceField):
    """Passes on whatever role is sent: the service refuses one outside the organization's set, beside it."""

    def valid_value(self, value) -> bool:
        return True


class RoleMappingForm(forms.Form):
    group_name = forms.CharField(label=_("Group name in the identity provider"), max_length=600,
                                 error_messages={"required": _("Give the group's name.")})
    role = AnyRoleField(label=_("Application role its members get"),
                        error_messages={"required": _("Choose a role.")})

    def __init__(self, data=None, *, roles, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.fields["role"].choices = [("", _("Choose a role")), *((g.role_id, g.label) for g in roles)]
