from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

CERT_HELP = _("Your provider's signing certificate (X.509, often a .pem, .cer or .crt file opened in a text editor), "
              "from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.")


class SamlConnectionForm(forms.Form):
    display_name = forms.CharField(label=_("Name shown to your people"), max_length=120,
                                   help_text=_("For example: Globex Okta."))
    metadata_file = forms.FileField(label=_("Your provider's metadata file (XML)"), required=False,
                                    help_text=_("The easiest way: download it from your provider and upload it here. "
                                                "Or give its address, or fill in the three fields below instead."))
    metadata_url = forms.URLField(label=_("Or your provider's metadata address (URL)"), required=False,
                                  max_length=500, assume_scheme="https",
                                  help_text=_("Many providers publish their metadata at an address: paste it here."))
    idp_entity_id = forms.CharField(label=_("Identity provider's entity ID (Issuer)"), max_length=500,
                                    required=False)
    sign_in_url = forms.CharField(label=_("Identity provider's sign-in URL (SSO URL)"), max_length=500,
                                  required=False, widget=forms.URLInput())
    signing_cert = forms.CharField(label=_("Signing certificate"), required=False, help_text=CERT_HELP,
                                   widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}))

    def metadata_xml(self) -> str:
        upload = self.cleaned_data.get("metadata_file")
        if not upload:
            return ""
        if upload.size > 512 * 1024:
            raise forms.ValidationError(gettext("The file is larger than 512 KB."))
        return upload.read().decode("utf-8", "replace")


class OidcConnectionForm(forms.Form):
    display_name = forms.CharField(label=_("Name shown to your people"), max_length=120,
                                   help_text=_("For example: Globex Entra ID."))
    issuer = forms.URLField(label=_("Issuer URL"), max_length=500, assume_scheme="https",
                            help_text=_("Your provider's address; adding /.well-known/openid-configuration to it "
                                        "must show a page of settings."))
    client_id = forms.CharField(label=_("Client ID"), max_length=255,
                                help_text=_("From the application you registered at your provider for this sign-in."))
    client_secret = forms.CharField(label=_("Client secret"), max_length=500, widget=forms.PasswordInput(),
                                    help_text=_("Kept secret: it is never shown again, here or anywhere."))


class CertificateForm(forms.Form):
    signing_cert = forms.CharField(label=_("New signing certificate"), help_text=CERT_HELP,
                                   widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}))


class SecretForm(forms.Form):
    client_secret = forms.CharField(label=_("New client secret"), max_length=500, widget=forms.PasswordInput())


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(required=True)
