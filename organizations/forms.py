from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from organizations import validation
from organizations.models import MembershipMode, MetadataField, Organization, OrganizationRole
from organizations.services import Logo

LOGO_MAX_BYTES = 256 * 1024
# Raster formats only: an SVG can carry script, and logos are shown on pages other people open.
_LOGO_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"RIFF": "image/webp",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def _logo_from_upload(upload) -> Logo | None:
    if not upload:
        return None
    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError(gettext("The logo must be at most %(kilobytes)s KB.") % {
            "kilobytes": LOGO_MAX_BYTES // 1024})
    content = upload.read()
    for signature, content_type in _LOGO_SIGNATURES.items():
        if content.startswith(signature) and (content_type != "image/webp" or content[8:12] == b"WEBP"):
            return Logo(content=content, content_type=content_type)
    raise ValidationError(gettext("The logo must be a PNG, JPEG, WebP or GIF image."))


class DomainsField(forms.CharField):
    """Email domains, one per line or separated by commas, normalized (the service validates them)."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "acme.com\nacme.co.uk"})

    def to_python(self, value) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [validation.domain_normalize(d) for d in text.replace(",", "\n").splitlines() if d.strip()]

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value


class _BrandingMixin(forms.Form):
    accent_colour = forms.CharField(label=gettext_lazy("Accent colour"), max_length=7, initial="#3b5bdb",
                                    widget=forms.TextInput(attrs={"type": "color"}))
    logo = forms.FileField(label=gettext_lazy("Logo"), required=False,
                           help_text=gettext_lazy("PNG, JPEG, WebP or GIF, at most 256 KB."))

    def clean_logo(self) -> Logo | None:
        return _logo_from_upload(self.cleaned_data.get("logo"))


class OrganizationCreateForm(_BrandingMixin):
    """Parses the inputs; ``organizations.services.organization_create`` decides what is allowed."""

    display_name = forms.CharField(label=gettext_lazy("Display name"), max_length=120)
    slug = forms.CharField(
        label=gettext_lazy("Slug"), max_length=40,
        help_text=format_lazy("{} {}", gettext_lazy("Used in URLs and in Auth0; it cannot change later."),
                              validation.SLUG_MESSAGE),
    )
    membership_mode = forms.ChoiceField(label=gettext_lazy("Membership mode"), choices=MembershipMode.choices,
                                        widget=forms.RadioSelect)
    connection_name = forms.CharField(
        label=gettext_lazy("Connection name"), max_length=validation.CONNECTION_NAME_MAX, required=False,
        help_text=gettext_lazy("Leave empty for the default: the slug followed by “-users” for an isolated "
                               "connection, the tenant's shared connection otherwise."),
    )
    domains = DomainsField(label=gettext_lazy("Domains"), required=False,
                           help_text=gettext_lazy("Email domains whose users sign in to this organization."))
    invite_link_lifetime_days = forms.IntegerField(label=gettext_lazy("Invite link lifetime days"), min_value=1,
                                                   max_value=30, initial=7)
    field_order = ["display_name", "slug", "membership_mode", "connection_name", "domains",
                   "invite_link_lifetime_days", "accent_colour", "logo"]


class OrganizationUpdateForm(_BrandingMixin):
    display_name = forms.CharField(label=gettext_lazy("Display name"), max_length=120)
    domains = DomainsField(label=gettext_lazy("Domains"), required=False,
                           help_text=gettext_lazy("Email domains whose users sign in to this organization."))
    invite_link_lifetime_days = forms.IntegerField(label=gettext_lazy("Invite link lifetime days"), min_value=1,
                                                   max_value=30)
    logo_remove = forms.BooleanField(required=False, label=gettext_lazy("Remove the current logo"))

    def __init__(self, *args, organization: Organization, **kwargs) -> None:
        self.organization = organization
        kwargs.setdefault("initial", {
            "display_name": organization.display_name,
            "domains": list(organization.domains.values_list("domain", flat=True)),
            "invite_link_lifetime_days": organization.invite_link_lifetime_days,
            "accent_colour": organization.accent_colour,
        })
        super().__init__(*args, **kwargs)


class MetadataFieldForm(forms.Form):
    """One row of the schema editor; ``organizations.schema`` holds the rules a field must follow."""

    key = forms.CharField(label=pgettext_lazy("metadata field", "Key"), max_length=64)
    label = forms.CharField(label=pgettext_lazy("metadata field", "Label"), max_length=80)
    # Initial values are the model's defaults, so that an untouched empty row is left out on saving.
    target = forms.ChoiceField(
        label=gettext_lazy("Stored in"), choices=MetadataField.Target.choices,
        initial=MetadataField.Target.USER_METADATA,
    )
    type = forms.ChoiceField(label=gettext_lazy("Type"), choices=MetadataField.Type.choices,
                             initial=MetadataField.Type.TEXT)
    required = forms.BooleanField(label=pgettext_lazy("metadata field", "Required"), required=False)
    max_length = forms.IntegerField(label=gettext_lazy("Max length"), required=False, min_value=1, max_value=2000)
    pattern = forms.CharField(label=pgettext_lazy("metadata field", "Pattern"), required=False, max_length=200)
    choices = forms.CharField(label=pgettext_lazy("metadata field", "Choices"), required=False, max_length=1000,
                              help_text=gettext_lazy("Comma-separated, for choice fields"))
    editable_by = forms.ChoiceField(
        label=gettext_lazy("Editable by"),
        choices=MetadataField._meta.get_field("editable_by").choices,
        initial=MetadataField._meta.get_field("editable_by").default,
    )
    visible_to = forms.ChoiceField(
        label=gettext_lazy("Visible to"),
        choices=MetadataField._meta.get_field("visible_to").choices,
        initial=MetadataField._meta.get_field("visible_to").default,
    )
    searchable = forms.BooleanField(required=False, label=gettext_lazy("Searchable in the user list"))

    def clean_choices(self) -> list[str]:
        return [c.strip() for c in self.cleaned_data["choices"].split(",") if c.strip()]


class _BaseSchemaFormSet(forms.BaseFormSet):
    def schema_forms(self) -> list[MetadataFieldForm]:
        """The rows that make up the schema, in order (filled in and not marked for removal)."""
        return [form for form in self.forms if form.has_changed() and not self._should_delete_form(form)]

    def schema_fields(self) -> list[dict]:
        return [form.cleaned_data for form in self.schema_forms()]

    def service_errors_show(self, field_errors: dict[int, dict[str, str]]) -> None:
        """Put ``organizations.schema``'s errors beside the fields of the rows they are about."""
        rows = self.schema_forms()
        for index, errors in field_errors.items():
            for name, message in errors.items():
                rows[index].add_error(name if name in rows[index].fields else None, message)


MetadataSchemaFormSet = formset_factory(
    MetadataFieldForm, formset=_BaseSchemaFormSet, extra=1, can_delete=True, max_num=50, validate_max=True
)


class RoleGrantForm(forms.Form):
    email = forms.EmailField(
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text=gettext_lazy("The person must already be a user of this organization."),
    )
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=OrganizationRole.Role.choices)

    def __init__(self, *args, organization: Organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = gettext("Email of a user of %(organization)s") % {
            "organization": organization.display_name}


class RoleRevokeForm(forms.Form):
    confirm = forms.BooleanField(required=False, label=gettext_lazy("I understand what removing this role does"))


class OrganizationSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label=gettext_lazy("Search organizations"))
