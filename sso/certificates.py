"""Reading what an identity provider gives: an X.509 signing certificate (PEM or bare base64), and SAML metadata XML
(parsed with defusedxml: no entities, no external references)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from defusedxml import ElementTree
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.outbound import (
    HostUnresolved,
    OutboundPolicy,
    OutboundRefused,
    outbound_get,
    url_loopback_port,
)

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def certificate_pem(text: str, field: str = "signing_cert") -> str:
    """The certificate as PEM, from PEM or bare base64 (DER); a ValidationError naming ``field`` otherwise."""
    body = re.sub(r"-----(BEGIN|END) CERTIFICATE-----|\s", "", text or "")
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(body, validate=True))
    except (ValueError, TypeError):
        raise ValidationError({field: _("This is not an X.509 certificate. Paste the whole certificate, including "
                                        "the -----BEGIN CERTIFICATE----- and -----END CERTIFICATE----- lines.")}
                              ) from None
    return certificate.public_bytes(Encoding.PEM).decode()


def certificate_fingerprint(pem: str) -> str:
    """SHA-256 fingerprint, as identity providers show it (colon-separated hex)."""
    if not pem:
        return ""
    digest = x509.load_pem_x509_certificate(pem.encode()).fingerprint(hashes.SHA256())
    return ":".join(f"{b:02X}" for b in digest)


def certificate_expiry(pem: str):
    return x509.load_pem_x509_certificate(pem.encode()).not_valid_after_utc if pem else None


@dataclass(frozen=True)
class IdpMetadata:
    entity_id: str
    sign_in_url: str
    signing_cert: str


METADATA_MAX_BYTES = 512 * 1024


def metadata_fetch(url: str) -> str:
    """The metadata document at ``url``, fetched under the outbound address policy (as webhooks are sent: the
    public internet; this machine only where PORTAL_WEBHOOK_ALLOW_LOOPBACK allows it); a ValidationError on
    ``metadata_url`` when it cannot be had."""
    try:
        answer = outbound_get(url.strip(), policy=outbound_policy(), timeout=10, max_body=METADATA_MAX_BYTES)
    except OutboundRefused as exc:
        raise ValidationError({"metadata_url": str(exc)}) from None
    except (HostUnresolved, httpx.HTTPError, OSError):
        raise ValidationError({"metadata_url": _("The address did not answer; check it, or upload the file.")}
                              ) from None
    if answer.status_code != 200:
        raise ValidationError({"metadata_url": _("The address answered %(status)s, not the metadata.")
                               % {"status": answer.status_code}})
    return answer.body.decode("utf-8", "replace")


def outbound_policy() -> OutboundPolicy:
    own = (url_loopback_port(u) for u in (settings.AUTH0_BASE_URL, settings.PORTAL_BASE_URL))
    return OutboundPolicy(allow_loopback=settings.PORTAL_WEBHOOK_ALLOW_LOOPBACK,
                          loopback_ports_refused=frozenset(p for p in own if p is not None))


def metadata_read(xml: str | bytes) -> IdpMetadata:
    """The identity provider's entity id, sign-in URL (HTTP-Redirect, else HTTP-POST binding) and signing
    certificate from its SAML metadata; a ValidationError on ``metadata`` otherwise."""
    try:
        root = ElementTree.fromstring(xml)
    except Exception:  # noqa: BLE001 - defusedxml raises several kinds; all mean "not metadata we can read"
        raise ValidationError({"metadata": _("This file is not SAML metadata (XML) the portal can read.")}) from None
    entity = root if root.tag == f"{{{MD}}}EntityDescriptor" else root.find(f".//{{{MD}}}EntityDescriptor")
    idp = entity.find(f"{{{MD}}}IDPSSODescriptor") if entity is not None else None
    if idp is None:
        raise ValidationError({"metadata": _("The metadata describes no identity provider (no IDPSSODescriptor).")})
    services = {s.get("Binding"): s.get("Location") for s in idp.findall(f"{{{MD}}}SingleSignOnService")}
    sign_in_url = services.get(REDIRECT) or services.get(POST) or ""
    certificate = ""
    for key in idp.findall(f"{{{MD}}}KeyDescriptor"):
        if key.get("use") in (None, "signing"):
            found = key.find(f".//{{{DS}}}X509Certificate")
            if found is not None and found.text:
                certificate = certificate_pem(found.text, "metadata")
                break
    if not sign_in_url or not certificate:
        raise ValidationError({"metadata": _("The metadata lacks the sign-in URL or the signing certificate.")})
    return IdpMetadata(entity_id=entity.get("entityID", ""), sign_in_url=sign_in_url, signing_cert=certificate)
