from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory

from organizations import validation
from organizations.models import MembershipMode, MetadataField, Organization, OrganizationRole
from organizations.services import Logo, connection_name_default, metadata_field_errors

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
        raise ValidationError(f"The logo must be at most {LOGO_MAX_BYTES // 1024} KB.")
    content = upload.read()
    for signature, content_type in _LOGO_SIGNATURES.items():
        if content.startswith(signature) and (content_type != "image/webp" or content[8:12] == b"WEBP"):
            return Logo(content=content, content_type=content_type)
    raise ValidationError("The logo must be a PNG, JPEG, WebP or GIF image.")


class DomainsField(forms.CharField):
    """Email domains, one per line or separated by commas, normalized and validated."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "acme.com\nacme.co.uk"})

    def to_python(self, value) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [validation.domain_normalize(d) for d in text.replace(",", "\n").splitlines() if d.strip()]

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        bad = [d for d in value if not validation.DOMAIN_RE.match(d)]
        if bad:
            raise ValidationError(f"Not a valid email domain: {', '.join(bad)}.")
        if len(set(value)) != len(value):
            raise ValidationError("A domain is listed twice.")

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value


class _BrandingMixin(forms.Form):
    accent_colour = forms.RegexField(
        regex=r"^#[0-9a-fA-F]{6}$", initial="#3b5bdb", widget=forms.TextInput(attrs={"type": "color"}),
        error_messages={"invalid": "Enter a colour as #RRGGBB, e.g. #3b5bdb."},
    )
    logo = forms.FileField(required=False, help_text="PNG, JPEG, WebP or GIF, at most 256 KB.")

    def clean_logo(self) -> Logo | None:
        return _logo_from_upload(self.cleaned_data.get("logo"))


class OrganizationCreateForm(_BrandingMixin):
    display_name = forms.CharField(max_length=120)
    slug = forms.RegexField(
        regex=validation.SLUG_RE, max_length=40, error_messages={"invalid": validation.SLUG_MESSAGE},
        help_text="Used in URLs and in Auth0; it cannot change later. " + validation.SLUG_MESSAGE,
    )
    membership_mode = forms.ChoiceField(choices=MembershipMode.choices, widget=forms.RadioSelect)
    connection_name = forms.CharField(
        max_length=validation.CONNECTION_NAME_MAX, required=False,
        help_text="Leave empty for the default: “<slug>-users” for an isolated connection, the tenant's "
                  "shared connection otherwise.",
    )
    domains = DomainsField(required=False, help_text="Email domains whose users sign in to this organization.")
    invite_link_lifetime_days = forms.IntegerField(min_value=1, max_value=30, initial=7)
    field_order = ["display_name", "slug", "membership_mode", "connection_name", "domains",
                   "invite_link_lifetime_days", "accent_colour", "logo"]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if Organization.objects.filter(slug=slug).exists():
            raise ValidationError("Another organization already uses this slug.")
        return slug

    def clean_connection_name(self) -> str:
        name = self.cleaned_data["connection_name"].strip()
        if name and not validation.CONNECTION_NAME_RE.match(name):
            raise ValidationError(validation.CONNECTION_NAME_MESSAGE)
        return name

    def clean(self) -> dict:
        # Domains another organization claims are refused by the service (in its transaction).
        data = super().clean()
        mode, slug = data.get("membership_mode"), data.get("slug")
        if mode == MembershipMode.ISOLATED_CONNECTION and slug:
            name = data.get("connection_name") or connection_name_default(slug=slug, membership_mode=mode)
            other = Organization.objects.filter(
                membership_mode=MembershipMode.ISOLATED_CONNECTION, connection_name__iexact=name
            ).first()
            if other:
                self.add_error("connection_name", f"{other.display_name} already has the connection “{name}”; "
                                                  "an isolated connection belongs to one organization.")
        return data


class OrganizationUpdateForm(_BrandingMixin):
    display_name = forms.CharField(max_length=120)
    domains = DomainsField(required=False, help_text="Email domains whose users sign in to this organization.")
    invite_link_lifetime_days = forms.IntegerField(min_value=1, max_value=30)
    logo_remove = forms.BooleanField(required=False, label="Remove the current logo")

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
    key = forms.CharField(max_length=64)
    label = forms.CharField(max_length=80)
    target = forms.ChoiceField(choices=MetadataField.Target.choices)
    type = forms.ChoiceField(choices=MetadataField.Type.choices)
    required = forms.BooleanField(required=False)
    max_length = forms.IntegerField(required=False, min_value=1, max_value=2000)
    pattern = forms.CharField(required=False, max_length=200)
    choices = forms.CharField(required=False, max_length=1000, help_text="Comma-separated, for choice fields")
    editable_by = forms.ChoiceField(choices=MetadataField._meta.get_field("editable_by").choices)
    visible_to = forms.ChoiceField(choices=MetadataField._meta.get_field("visible_to").choices)

    def clean_choices(self) -> list[str]:
        return [c.strip() for c in self.cleaned_data["choices"].split(",") if c.strip()]

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors:
            for name, message in metadata_field_errors(data).items():
                self.add_error(name if name in self.fields else None, message)
        return data


class _BaseSchemaFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen: set[tuple[str, str]] = set()
        for form in self.forms:
            if not form.has_changed() or self._should_delete_form(form):
                continue
            ident = (form.cleaned_data["target"], form.cleaned_data["key"])
            if ident in seen:
                form.add_error("key", f"“{ident[1]}” appears twice in {ident[0]}.")
            seen.add(ident)

    def schema_fields(self) -> list[dict]:
        return [
            form.cleaned_data for form in self.forms
            if form.has_changed() and not self._should_delete_form(form)
        ]


MetadataSchemaFormSet = formset_factory(
    MetadataFieldForm, formset=_BaseSchemaFormSet, extra=1, can_delete=True, max_num=50, validate_max=True
)


class RoleGrantForm(forms.Form):
    email = forms.EmailField(help_text="The person must already be a user of this organization.")
    role = forms.ChoiceField(choices=OrganizationRole.Role.choices)


class RoleRevokeForm(forms.Form):
    confirm = forms.BooleanField(required=False, label="I understand")


class OrganizationSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search organizations")
