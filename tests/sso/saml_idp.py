"""A SAML identity provider on loopback for the tests (pysaml2's IdP, signing with a key made for the run).

It shows a one-field sign-in page ("Work email") for an AuthnRequest sent by HTTP-Redirect, and answers with a
signed response on a page whose form POSTs it to the service provider's assertion consumer service (a button: no
script). ``trust(sp_entity_id, acs_url)`` says which service provider it serves (the emulator's connection)."""

from __future__ import annotations

import base64
import datetime as dt
import html
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.saml import AUTHN_PASSWORD, NAME_FORMAT_BASIC, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server


def key_and_certificate(directory: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test IdP")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=365)).sign(key, hashes.SHA256()))
    key_file, cert_file = directory / "idp.key", directory / "idp.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def sp_metadata(entity_id: str, acs_url: str) -> str:
    return (f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{html.escape(entity_id)}">'
            '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            f'<md:AssertionConsumerService Binding="{BINDING_HTTP_POST}" Location="{html.escape(acs_url)}" '
            'index="0"/></md:SPSSODescriptor></md:EntityDescriptor>')


class LoopbackIdentityProvider:
    def __init__(self, directory: Path) -> None:
        self.key_file, self.cert_file = key_and_certificate(directory)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.entity_id = f"{self.url}/metadata"
        self.sign_in_url = f"{self.url}/sso"
        self.server: Server | None = None
        self.signed_in: list[str] = []

    @property
    def certificate_pem(self) -> str:
        return self.cert_file.read_text()

    def metadata_xml(self) -> str:
        der = "".join(self.certificate_pem.strip().splitlines()[1:-1])
        return (f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
                f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{self.entity_id}">'
                '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
                '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
                f"{der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
                f'<md:SingleSignOnService Binding="{BINDING_HTTP_REDIRECT}" Location="{self.sign_in_url}"/>'
                "</md:IDPSSODescriptor></md:EntityDescriptor>")

    def trust(self, sp_entity_id: str, acs_url: str) -> None:
        config = IdPConfig()
        config.load({
            "entityid": self.entity_id, "xmlsec_binary": shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
            "key_file": str(self.key_file), "cert_file": str(self.cert_file),
            "metadata": {"inline": [sp_metadata(sp_entity_id, acs_url)]},
            "service": {"idp": {
                "endpoints": {"single_sign_on_service": [(self.sign_in_url, BINDING_HTTP_REDIRECT)]},
                "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                "policy": {"default": {"lifetime": {"minutes": 15}, "attribute_restrictions": None,
                                       "name_form": NAME_FORMAT_BASIC, "sign": ["response", "assertion"]}},
            }},
        })
        self.server = Server(config=config)

    def _respond(self, saml_request: str, relay_state: str, email: str) -> str:
        assert self.server is not None, "call trust() first"
        request = self.server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT).message
        destination = request.assertion_consumer_service_url or self.server.config.metadata.assertion_consumer_service(
            request.issuer.text, binding=BINDING_HTTP_POST)[0]["location"]
        response = self.server.create_authn_response(
            identity={"email": [email], "given_name": [email.split("@")[0].title()]}, in_response_to=request.id,
            destination=destination, sp_entity_id=request.issuer.text,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email), authn={"class_ref": AUTHN_PASSWORD},
            sign_response=True, sign_assertion=True)
        self.signed_in.append(email)
        encoded = base64.b64encode(str(response).encode()).decode()
        return (f'<!doctype html><html lang="en"><head><title>Signed in</title></head><body><main>'
                f'<h1>Signed in as {html.escape(email)}</h1><form method="post" action="{html.escape(destination)}">'
                f'<input type="hidden" name="SAMLResponse" value="{encoded}">'
                f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">'
                '<button type="submit">Continue</button></form></main></body></html>')

    def _handler(self):
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return

            def _page(self, body: str, status: int = 200) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                if urlsplit(self.path).path == "/metadata":
                    return self._page(idp.metadata_xml())
                if urlsplit(self.path).path != "/sso" or "SAMLRequest" not in query:
                    return self._page("<p>Not found</p>", 404)
                fields = "".join(f'<input type="hidden" name="{k}" value="{html.escape(query.get(k, ""))}">'
                                 for k in ("SAMLRequest", "RelayState"))
                self._page('<!doctype html><html lang="en"><head><title>Test IdP sign-in</title></head><body><main>'
                           '<h1>Test identity provider</h1><form method="post" action="/sso">'
                           f'{fields}<label for="email">Work email</label> '
                           '<input id="email" name="email" type="email" required>'
                           '<button type="submit">Sign in</button></form></main></body></html>')

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                try:
                    page = idp._respond(form["SAMLRequest"], form.get("RelayState", ""), form["email"])
                except Exception as exc:  # noqa: BLE001 - shown on the page, as an IdP would
                    return self._page(f"<p>Refused: {html.escape(str(exc))}</p>", 400)
                self._page(page)

        return Handler

    def start(self) -> LoopbackIdentityProvider:
        threading.Thread(target=self.httpd.serve_forever, name="test-idp", daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
