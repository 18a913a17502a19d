from __future__ import annotations

from django.urls import reverse
from django.utils import translation
from rest_framework import serializers

from api.serializers import TextField
from domains.models import Domain
from sso.certificates import certificate_fingerprint
from sso.models import SsoConnection
from sso.provider_values import provider_values


class DomainInput(serializers.Serializer):
    name = TextField(max_length=253, help_text="The domain, e.g. acme.example")


class DomainSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    record_type = serializers.SerializerMethodField()
    record_name = serializers.CharField()
    record_value = serializers.CharField()

    class Meta:
        model = Domain
        fields = ["id", "name", "status", "status_label", "record_type", "record_name", "record_value",
                  "verified_at", "checked_at", "check_message", "check_requested_at", "created_at"]

    def get_record_type(self, domain: Domain) -> str:
        return "TXT"


def domain_url(domain: Domain) -> str:
    return reverse("api_domain_detail", kwargs={"slug": domain.organization.slug, "domain_id": domain.pk})


class SsoConnectionInput(serializers.Serializer):
    strategy = serializers.ChoiceField(choices=["samlp", "oidc"])
    display_name = TextField(max_length=120)
    metadata_xml = TextField(required=False, allow_blank=True, default="",
                                         help_text="samlp: the identity provider's SAML metadata (XML)")
    metadata_url = TextField(required=False, allow_blank=True, default="", max_length=500,
                             help_text="samlp: the address of the identity provider's SAML metadata")
    idp_entity_id = TextField(required=False, allow_blank=True, default="", max_length=500)
    sign_in_url = TextField(required=False, allow_blank=True, default="", max_length=500)
    signing_cert = TextField(required=False, allow_blank=True, default="",
                                         help_text="samlp: the signing certificate (PEM)")
    issuer = TextField(required=False, allow_blank=True, default="", max_length=500)
    client_id = TextField(required=False, allow_blank=True, default="", max_length=255)
    client_secret = TextField(required=False, allow_blank=True, default="", max_length=500,
                                          write_only=True, help_text="oidc: write-only; never returned")


class SsoConnectionSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    certificate_fingerprint = serializers.SerializerMethodField(help_text="SHA-256 of the signing certificate")
    tested = serializers.BooleanField(source="is_tested")
    provider_values = serializers.SerializerMethodField(help_text="What to give the identity provider")

    class Meta:
        model = SsoConnection
        fields = ["id", "name", "display_name", "strategy", "status", "status_label", "idp_entity_id",
                  "sign_in_url", "certificate_fingerprint", "issuer", "client_id", "tested", "tested_at",
                  "tested_as", "provider_values", "created_at"]

    def get_certificate_fingerprint(self, connection: SsoConnection) -> str:
        return certificate_fingerprint(connection.signing_cert)

    def get_provider_values(self, connection: SsoConnection) -> dict[str, str]:
        # Keyed by the values' English names whatever the caller's language: a tool reads the keys.
        with translation.override("en"):
            return {str(item.label): item.value for item in provider_values(connection)}


def sso_connection_url(connection: SsoConnection) -> str:
    return reverse("api_sso_connection_detail", kwargs={"slug": connection.organization.slug,
                                                        "connection_id": connection.pk})
