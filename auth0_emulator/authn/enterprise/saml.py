"""The emulator as a SAML service provider for a ``samlp`` connection, with pysaml2 (xmlsec1 checks signatures).

Its entity id is Auth0's (``urn:auth0:<tenant>:<connection>``) and its assertion consumer service
``<base>/login/callback?connection=<name>``. The identity provider is described by the connection's options:
``metadataXml`` when given, else ``signInEndpoint`` and ``signingCert`` (base64 of the PEM certificate, as the
Management API takes it). pysaml2 validates the response: the signature against that certificate, the audience,
the recipient and destination, the time conditions and InResponseTo (the request this transaction sent)."""

from __future__ import annotations

import base64
import re
import shutil
from xml.sax.saxutils import quoteattr

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS

from ...tenant import Tenant

XMLSEC = shutil.which("xmlsec1") or "/usr/bin/xmlsec1"


def sp_entity_id(tenant: Tenant, connection: dict) -> str:
    return f"urn:auth0:{tenant.config.tenant_name}:{connection['name']}"


def acs_url(tenant: Tenant, connection: dict) -> str:
    return f"{tenant.config.public_url.rstrip('/')}/login/callback?connection={connection['name']}"


def _certificate_b64(options: dict) -> str:
    """The signing certificate's DER, base64 (metadata's X509Certificate), from ``signingCert``."""
    given = options.get("signingCert") or ""
    try:
        pem = base64.b64decode(given).decode()
    except (ValueError, UnicodeDecodeError):
        pem = given
    return re.sub(r"-----(BEGIN|END) CERTIFICATE-----|\s", "", pem)


def idp_metadata(connection: dict, entity_id: str) -> str:
    options = connection.get("options") or {}
    if options.get("metadataXml"):
        return options["metadataXml"]
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID={quoteattr(entity_id)}>'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{_certificate_b64(options)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        f'<md:SingleSignOnService Binding="{BINDING_HTTP_REDIRECT}" '
        f"Location={quoteattr(options.get('signInEndpoint') or '')}/>"
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def service_provider(tenant: Tenant, connection: dict, idp_entity_id: str) -> Saml2Client:
    config = SPConfig()
    config.load({
        "entityid": sp_entity_id(tenant, connection),
        "xmlsec_binary": XMLSEC,
        "metadata": {"inline": [idp_metadata(connection, idp_entity_id)]},
        "allow_unknown_attributes": True,
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [(acs_url(tenant, connection), BINDING_HTTP_POST)]},
            "allow_unsolicited": False,
            "authn_requests_signed": False,
            "want_assertions_signed": False,
            "want_response_signed": False,
            "want_assertions_or_response_signed": True,
            "name_id_format": NAMEID_FORMAT_EMAILADDRESS,
        }},
    })
    return Saml2Client(config=config)


def _idp_entity_id(connection: dict) -> str:
    """Where AuthnRequests go: the metadata's entity id, else the sign-in endpoint standing for it."""
    options = connection.get("options") or {}
    if options.get("metadataXml"):
        found = re.search(r'entityID="([^"]+)"', options["metadataXml"])
        if found:
            return found.group(1)
    return options.get("signInEndpoint") or ""


def authn_request_redirect(tenant: Tenant, connection: dict, relay_state: str) -> tuple[str, str]:
    """The URL of the identity provider's sign-in with a new AuthnRequest (HTTP-Redirect binding), and its id."""
    client = service_provider(tenant, connection, _idp_entity_id(connection))
    request_id, info = client.prepare_for_authenticate(
        entityid=_idp_entity_id(connection), relay_state=relay_state, binding=BINDING_HTTP_REDIRECT)
    location = dict(info["headers"])["Location"]
    return location, request_id


def response_issuer(saml_response: str) -> str:
    """The issuer the response names (not trusted: the signature check against the connection's certificate is
    what authenticates it)."""
    try:
        xml = base64.b64decode(saml_response).decode("utf-8", "replace")
    except ValueError:
        return ""
    found = re.search(r"<(?:\w+:)?Issuer[^>]*>([^<]+)</(?:\w+:)?Issuer>", xml)
    return found.group(1).strip() if found else ""


class SamlRefused(Exception):
    """The response is not valid for this connection (pysaml2 said why)."""


def response_identity(tenant: Tenant, connection: dict, saml_response: str, request_id: str) -> dict:
    """The signed-in person from a validated response: ``{"name_id", "email", "given_name", "family_name"}``."""
    options = connection.get("options") or {}
    entity = response_issuer(saml_response) if not options.get("metadataXml") else _idp_entity_id(connection)
    client = service_provider(tenant, connection, entity or "unknown")
    try:
        parsed = client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={request_id: acs_url(tenant, connection)})
    except Exception as exc:  # noqa: BLE001 - pysaml2 raises many kinds; each means "not valid here"
        raise SamlRefused(f"{type(exc).__name__}: {exc}") from None
    if parsed is None or parsed.status_ok() is not True:
        raise SamlRefused("The identity provider's response was refused.")
    name_id = parsed.name_id.text.strip() if parsed.name_id is not None else ""
    attributes = {k: v[0] for k, v in (parsed.get_identity() or {}).items() if v}
    email = attributes.get("email") or attributes.get("mail") or (name_id if "@" in name_id else "")
    if not name_id:
        raise SamlRefused("The response names nobody (no NameID).")
    return {"name_id": name_id, "email": email, "given_name": attributes.get("given_name") or attributes.get(
        "givenName"), "family_name": attributes.get("family_name") or attributes.get("sn")}



