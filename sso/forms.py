from __future__ import annotations

from django import forms

CERT_HELP = ("Your provider's signing certificate (X.509, often a .pem, .cer or .crt file opened in a text editor), "
             "from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.")


class SamlConnectionForm(forms.Form):
    display_name = forms.CharField(label="Name shown to your people", max_length=120,
                                   help_text="For example: Globex Okta.")
    metadata_file = forms.FileField(label="Your provider's metadata file (XML)", required=False,
                                    help_text="The easiest way: download it from your provider and upload it here. "
                                              "Or give its address, or fill in the three fields below instead.")
    metadata_url = forms.URLField(label="Or your provider's metadata address (URL)", required=False,
                                  max_length=500, assume_scheme="https",
                                  help_text="Many providers publish their metadata at an address: paste it here.")
    idp_entity_id = forms.CharField(label="Identity provider's entity ID (Issuer)", max_length=500, required=False)
    sign_in_url = forms.CharField(label="Identity provider's sign-in URL (SSO URL)", max_length=500, required=False,
                                  widget=forms.URLInput())
    signing_cert = forms.CharField(label="Signing certificate", required=False, help_text=CERT_HELP,
                                   widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}))

    def metadata_xml(self) -> str:
        upload = self.cleaned_data.get("metadata_file")
        if not upload:
            return ""
        if upload.size > 512 * 1024:
            raise forms.ValidationError("larger than 512 KB")
        return upload.read().decode("utf-8", "replace")


class OidcConnectionForm(forms.Form):
    display_name = forms.CharField(label="Name shown to your people", max_length=120,
                                   help_text="For example: Globex Entra ID.")
    issuer = forms.URLField(label="Issuer URL", max_length=500, assume_scheme="https",
                            help_text="Your provider's address; adding /.well-known/openid-configuration to it must "
                                      "show a page of settings.")
    client_id = forms.CharField(label="Client ID", max_length=255,
                                help_text="From the application you registered at your provider for this sign-in.")
    client_secret = forms.CharField(label="Client secret", max_length=500, widget=forms.PasswordInput(),
                                    help_text="Kept secret: it is never shown again, here or anywhere.")


class CertificateForm(forms.Form):
    signing_cert = forms.CharField(label="New signing certificate", help_text=CERT_HELP,
                                   widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}))


class SecretForm(forms.Form):
    client_secret = forms.CharField(label="New client secret", max_length=500, widget=forms.PasswordInput())


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(required=True)
