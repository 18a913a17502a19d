"""OpenAPI examples of the enterprise routes (domains, SSO connections)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

NOW = "2026-01-02T10:00:00Z"
DOMAIN = {"id": 7, "name": "acme.example", "status": "pending", "status_label": "Waiting for the DNS record",
          "record_type": "TXT", "record_name": "_portal-verification.acme.example",
          "record_value": "portal-domain-verification=9f3c0d6be41a4f0b8c2d7e5a1b3c4d5e",
          "verified_at": None, "checked_at": None, "check_message": "", "created_at": NOW}


def _response(name: str, value, status: str = "200") -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[status])


def _request(name: str, value) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


DOMAIN_LIST = [_response("The organization's domains", [
    DOMAIN, {**DOMAIN, "id": 8, "name": "acme-corp.example", "status": "verified", "status_label": "Verified",
             "record_name": "_portal-verification.acme-corp.example", "verified_at": NOW, "checked_at": NOW,
             "check_message": "The record is published: the domain is verified."}])]
DOMAIN_CREATE = [_request("Add a domain", {"name": "acme.example"}), _response("Added: publish its record", DOMAIN,
                                                                               "201")]
DOMAIN_DETAIL = [_response("A domain", DOMAIN)]
DOMAIN_VERIFY = [_response("Check asked for: read the domain again in a moment",
                           {**DOMAIN, "check_requested_at": NOW}, "202")]

CONNECTION = {"id": 3, "name": "acme-saml", "display_name": "Acme Okta", "strategy": "samlp", "status": "ready",
              "status_label": "Ready to test", "idp_entity_id": "http://www.okta.com/exk1", "sign_in_url":
              "https://acme.okta.com/app/acme/exk1/sso/saml", "certificate_fingerprint": "3A:9F:…:C2", "issuer": "",
              "client_id": "", "tested": False, "tested_at": None, "tested_as": "",
              "provider_values": {"Single sign-on URL (ACS URL, Reply URL)":
                                  "https://acme.eu.auth0.com/login/callback?connection=acme-saml",
                                  "Audience (SP entity ID, Identifier)": "urn:auth0:acme:acme-saml"},
              "created_at": NOW}
CONNECTION_LIST = [_response("The organization's SSO connections", [CONNECTION])]
CONNECTION_DETAIL = [_response("A connection", CONNECTION)]
CONNECTION_CREATE = [
    _request("SAML, by hand", {"strategy": "samlp", "display_name": "Acme Okta", "idp_entity_id":
                               "http://www.okta.com/exk1", "sign_in_url": "https://acme.okta.com/app/acme/exk1/sso/saml",
                               "signing_cert": "-----BEGIN CERTIFICATE-----\nMIIC…\n-----END CERTIFICATE-----"}),
    _request("OpenID Connect", {"strategy": "oidc", "display_name": "Acme Entra ID", "issuer":
                                "https://login.microsoftonline.com/<tenant id>/v2.0", "client_id": "0f1e…",
                                "client_secret": "<secret>"}),
    _response("Being created in Auth0", {**CONNECTION, "status": "creating", "status_label": "Being created in Auth0"},
              "202")]
CONNECTION_SWITCH = [_response("Turning on or off", {**CONNECTION, "status": "on", "status_label": "On",
                                                       "tested": True}, "202")]
