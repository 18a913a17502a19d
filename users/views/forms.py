"""Forms of the user pages. ``UserListForm`` reads a list's whole state from the query string."""

from __future__ import annotations

import html

from django import forms
from django.utils.safestring import mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from app_roles.forms import AnyRolesField, role_choices
from app_roles.models import GrantableRole
from organizations.models import MetadataField
from organizations.validation import METADATA_DATE_RE
from users.acts.metadata import metadata_field_name, metadata_value_text
from users.directory.selectors import (
    DEFAULT_SORT,
    PAGE_SIZES,
    SEARCH_MAX_LENGTH,
    SORTS,
    UserQuery,
    search_terms_split,
)

_ANY = pgettext_lazy("filter: no restriction", "Any")
_YES_NO = [("", _ANY), ("yes", _("Yes")), ("no", _("No"))]
SORT_LABELS = {
    "email": _("Email"), "name": _("Name"), "connection": _("Connection"),
    "blocked": pgettext_lazy("user status", "Blocked"), "verified": _("Email verified"), "logins": _("Sign-ins"),
    "last_login": _("Last sign-in"), "created": pgettext_lazy("date the user account was created", "Created"),
    "updated": pgettext_lazy("date the user account was last changed", "Updated"),
}
_SORT_DIRECTIONS = {"": _("{column} (ascending)"), "-": _("{column} (descending)")}


def html_attrs(attrs: dict) -> str:
    """HTML attributes as flatatt writes them (True: the name alone; False or None: left out), escaped
    with the standard library's escape: Django's, which also accepts lazy strings, costs several times
    more per call, and a list page draws a few hundred attributes and options."""
    return "".join(
        f" {key}" if value is True else f' {key}="{html.escape(str(value))}"'
        for key, value in attrs.items() if value is not None and value is not False
    )


class QuickSelect(forms.Select):
    """A select rendered in Python. The user list draws several on every request, one with every
    organization for company admins, and Django's template per option costs more than the list's queries.
    Attributes (id, aria-describedby, aria-invalid) come from the bound field as with any widget."""

    def render(self, name, value, attrs=None, renderer=None) -> str:
        final = {**self.build_attrs(self.attrs, attrs), "name": name}
        selected = "" if value is None else str(value)
        options = "".join(
            f'<option value="{html.escape(str(choice))}"{" selected" if str(choice) == selected else ""}>'
            f"{html.escape(str(label))}</option>"
            for choice, label in self.choices
        )
        return mark_safe(f"<select{html_attrs(final)}>{options}</select>")  # noqa: S308 - escaped


class _QuickInputMixin:
    """An <input> rendered in Python, with what Django's input template would give it (type, name, value,
    and the bound field's id and aria attributes), for the same reason as QuickSelect."""

    def render(self, name, value, attrs=None, renderer=None) -> str:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        shown = {"value": widget["value"]} if widget["value"] is not None else {}
        return mark_safe(  # noqa: S308 - escaped by html_attrs
            f'<input{html_attrs({"type": widget["type"], "name": widget["name"], **shown, **widget["attrs"]})}>')


class QuickTextInput(_QuickInputMixin, forms.TextInput):
    pass


class QuickDateInput(_QuickInputMixin, forms.DateInput):
    input_type = "date"


class QuickCheckboxInput(_QuickInputMixin, forms.CheckboxInput):
    pass


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class UserListForm(forms.Form):
    """The list's search, filters, order and page size, all in the URL so a view can be shared.

    An invalid value never breaks the page: :meth:`query` leaves it out and :attr:`errors` says why.
    """

    q = forms.CharField(required=False, max_length=SEARCH_MAX_LENGTH, label=_("Search"), widget=QuickTextInput,
                        help_text=_("Email, name, nickname, or a searchable field; every word must match."))
    blocked = forms.ChoiceField(required=False, choices=_YES_NO, label=pgettext_lazy("user status", "Blocked"),
                                widget=QuickSelect)
    verified = forms.ChoiceField(required=False, choices=_YES_NO, label=_("Email verified"), widget=QuickSelect)
    never = forms.BooleanField(required=False, label=_("Never signed in"), widget=QuickCheckboxInput)
    connection = forms.CharField(required=False, max_length=128, label=_("Connection"), widget=QuickTextInput)
    login_from = forms.DateField(required=False, label=_("Last sign-in from"), widget=QuickDateInput)
    login_to = forms.DateField(required=False, label=_("Last sign-in to"), widget=QuickDateInput)
    created_from = forms.DateField(required=False, label=_("Created from"), widget=QuickDateInput)
    created_to = forms.DateField(required=False, label=_("Created to"), widget=QuickDateInput)
    org = forms.CharField(required=False, max_length=40, label=_("Organization"), widget=QuickTextInput)
    sort = forms.ChoiceField(required=False, label=_("Sort by"), widget=QuickSelect, choices=[
        (f"{prefix}{key}", format_lazy(_SORT_DIRECTIONS[prefix], column=SORT_LABELS[key]))
        for key in SORTS for prefix in ("", "-")
    ])
    size = forms.TypedChoiceField(required=False, coerce=int, empty_value=PAGE_SIZES[0], label=_("Per page"),
                                  choices=[(n, str(n)) for n in PAGE_SIZES], widget=QuickSelect)

    def __init__(self, data, *, connections: list[str] | None = None,
                 organizations: list[tuple[str, str]] | None = None, app_roles: list[tuple[str, str]] | None = None,
                 app_roles_of: str = "", **kwargs) -> None:
        """``app_roles``: the role filter's choices, (role id, label), the roles ``app_roles_of`` (an
        organization's name) may grant, or the tenant's (a list across organizations)."""
        super().__init__(data, **kwargs)
        if app_roles:
            # Django puts the value in when it refuses one: the organization's name goes in now (its own "%"
            # kept as text), "%(value)s" stays for Django.
            refused = (gettext("“%(value)s” is not an application role %(organization)s may grant.") % {
                "value": "%(value)s", "organization": app_roles_of.replace("%", "%%")} if app_roles_of
                       else gettext("“%(value)s” is not one of the tenant's roles."))
            self.fields["app_role"] = forms.ChoiceField(required=False, label=_("Application role"),
                                                        choices=[("", _ANY), *app_roles], widget=QuickSelect,
                                                        error_messages={"invalid_choice": refused})
            self.order_fields(["q", "app_role"])  # the first of the filters (the panel shows them in order)
        if connections is not None:
            self.fields["connection"] = forms.ChoiceField(
                required=False, label=_("Connection"), choices=[("", _ANY), *((c, c) for c in connections)],
                widget=QuickSelect)
        if organizations is not None:
            self.fields["org"] = forms.ChoiceField(required=False, label=_("Organization"), choices=organizations,
                                                   widget=QuickSelect)
        else:
            del self.fields["org"]

    def clean(self) -> dict:
        data = super().clean()
        ranges = (("login_from", "login_to", gettext("The last sign-in range ends before it starts.")),
                  ("created_from", "created_to", gettext("The creation range ends before it starts.")))
        for start, end, refusal in ranges:
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, refusal)
        return data

    def query(self) -> UserQuery:
        """The valid parts of the input as a query (an invalid field counts as not given)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        sort = data.get("sort") or DEFAULT_SORT
        return UserQuery(
            search_terms=search_terms_split(data.get("q") or ""),
            blocked=_yes_no(data.get("blocked") or ""),
            email_verified=_yes_no(data.get("verified") or ""),
            never_signed_in=bool(data.get("never")),
            connection=data.get("connection") or "",
            last_login_from=data.get("login_from"),
            last_login_to=data.get("login_to"),
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
            organization_slug=data.get("org") or "",
            app_role=data.get("app_role") or "",
            sort=sort.lstrip("-"),
            descending=sort.startswith("-"),
            page_size=data.get("size") or PAGE_SIZES[0],
        )


class UserInviteForm(forms.Form):
    """Parses the invitation's input: the email, a name and, empty, one input per schema field the admin may
    set (named ``<target>.<key>``). Every rule (a valid email, not a member yet, not invited twice, the
    fields' values, a required field given) is the service's, whose errors the view puts beside these
    fields."""

    email = forms.CharField(label=_("Email address"), max_length=320, strip=True,
                            widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    name = forms.CharField(label=_("Name (optional)"), max_length=200, required=False, strip=True,
                           help_text=_("How the email greets them; they can change it later."))

    def __init__(self, data=None, *, fields: list[MetadataField] | None = None,
                 app_roles: list[GrantableRole] | None = None, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.metadata_names = []
        for field in fields or []:
            name = metadata_field_name(field)
            self.fields[name] = _metadata_input(field, "", new=True)
            self.metadata_names.append(name)
        if app_roles or (hasattr(data, "getlist") and data.getlist("app_roles")):
            # The organization's grantable roles, its default chosen: given once the person is ready. (Roles sent
            # to an organization that may grant none reach the service too, which refuses them.)
            self.fields["app_roles"] = AnyRolesField(
                label=_("Application roles"), required=False, choices=role_choices(app_roles),
                initial=[g.role_id for g in app_roles if g.is_default],
                help_text=_("What they may do in the company's applications; given once their account is ready."))

    def values(self) -> dict[str, dict[str, str]]:
        """The metadata typed, as ``users.acts.invite`` takes it (an empty input sets nothing)."""
        return _metadata_values(self, self.metadata_names)


class TelInput(forms.TextInput):
    input_type = "tel"


# What each type of field takes, said under its input.
_TYPE_HELP = {
    MetadataField.Type.DATE: _("A date (YYYY-MM-DD)."),
    MetadataField.Type.INTEGER: _("A whole number."),
    MetadataField.Type.URL: _("A web address starting with https://."),
    MetadataField.Type.PHONE: _("A phone number, e.g. +44 20 7946 0958."),
    MetadataField.Type.EMAIL: _("An email address."),
}


def _metadata_help(field: MetadataField, *, new: bool = False) -> str:
    """What a person needs to know to fill the field in: whether it is required, its limits and format
    (``new``: for someone who holds no value yet, so emptying removes nothing)."""
    parts = [gettext("Required.") if field.required else gettext("Optional.") if new
             else gettext("Optional: leave empty to remove it.")]
    if field.max_length and field.type in (MetadataField.Type.TEXT, MetadataField.Type.EMAIL,
                                           MetadataField.Type.PHONE, MetadataField.Type.URL):
        parts.append(ngettext("At most %(count)s character.", "At most %(count)s characters.", field.max_length)
                     % {"count": f"{field.max_length:,}"})
    parts.append(str(_TYPE_HELP.get(field.type, "")))
    return " ".join(p for p in parts if p)


def _metadata_input(field: MetadataField, shown: str, *, new: bool = False) -> forms.Field:
    """The input for one field. Every input is plain text to the form: the schema's rules are the service's.
    A stored value the input could not show (a date with a time, a choice no longer offered) is shown as it
    is, so saving the form leaves it as it was."""
    choices: list[tuple[str, str]] | None = None
    if field.type == MetadataField.Type.BOOLEAN:
        choices = [("", gettext("Not set")), ("yes", gettext("Yes")), ("no", gettext("No"))]
    elif field.type == MetadataField.Type.ENUM:
        choices = [("", gettext("Not set")), *((str(c), str(c)) for c in field.choices or [])]
    if choices is not None:
        if shown and shown not in {value for value, _label in choices}:
            choices.append((shown, gettext("%(value)s (the current value)") % {"value": shown}))
        widget: forms.Widget = forms.Select(choices=choices)
    elif field.type == MetadataField.Type.DATE and (not shown or METADATA_DATE_RE.match(shown)):
        widget = forms.DateInput(attrs={"type": "date"})
    elif field.type == MetadataField.Type.DATE:
        widget = forms.TextInput(attrs={"placeholder": "YYYY-MM-DD"})
    elif field.type == MetadataField.Type.INTEGER:
        widget = forms.TextInput(attrs={"inputmode": "numeric"})
    else:
        widget = {MetadataField.Type.EMAIL: forms.EmailInput, MetadataField.Type.URL: forms.URLInput,
                  MetadataField.Type.PHONE: TelInput}.get(field.type, forms.TextInput)()
    return forms.CharField(label=field.label, required=False, strip=True, widget=widget,
                           help_text=_metadata_help(field, new=new))


class UserMetadataForm(forms.Form):
    """One input per schema field the admin may edit, named ``<target>.<key>`` and showing the stored value.
    It only reads text: every rule is ``users.acts.metadata``'s, whose errors the view puts beside these fields."""

    def __init__(self, data=None, *, fields: list[MetadataField], person, **kwargs) -> None:
        super().__init__(data, **kwargs)
        for field in fields:
            current = (getattr(person, field.target) or {}).get(field.key)
            name = metadata_field_name(field)
            shown = metadata_value_text(field, current)
            self.fields[name] = _metadata_input(field, shown)
            self.initial[name] = shown

    def values(self) -> dict[str, dict[str, str]]:
        """The valid form's values as ``users.acts.metadata`` takes them: ``{"user_metadata": {…}, "app_metadata":
        {…}}``. Only this form's fields: whatever else a request posts is never read."""
        return _metadata_values(self, list(self.fields))


def _metadata_values(form: forms.Form, names: list[str]) -> dict[str, dict[str, str]]:
    values: dict[str, dict[str, str]] = {}
    for name in names:
        target, key = name.split(".", 1)
        values.setdefault(target, {})[key] = form.cleaned_data[name]
    return values


class UserEmailChangeForm(forms.Form):
    """Reads the new address; the rules (valid, different, free in the connection) are the service's."""

    email = forms.CharField(label=_("New email address"), max_length=320, strip=True,
                            error_messages={"required": _("Enter the new email address.")},
                            widget=forms.EmailInput(attrs={"autocomplete": "off"}))


class UserDeleteForm(forms.Form):
    """Reads what the person typed to confirm a deletion; whether it is right is the service's rule."""

    confirmation = forms.CharField(
        max_length=400, strip=True, error_messages={"required": _("Type the email address shown above to confirm.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}))

    def __init__(self, data=None, *, by_email: bool, **kwargs) -> None:
        """``by_email``: the person deleting types the user's email address (else, for a user with none, their
        user ID)."""
        super().__init__(data, **kwargs)
        if by_email:
            self.fields["confirmation"].label = gettext("Their email address, to confirm")
        else:
            self.fields["confirmation"].label = gettext("Their user ID, to confirm")
            self.fields["confirmation"].error_messages["required"] = gettext(
                "Type the user ID shown above to confirm.")
