"""Helpers of the outbound address policy's tests (portal.outbound, webhooks): a resolver the test controls,
a loopback listener that tells whether anything connected, and small HTTP(S) servers that answer badly
(a redirect, a huge body, a body dripped a byte at a time).

Addresses written as numbers never reach the fake resolver: portal.outbound reads them itself, as the
system resolver would, so only names are looked up.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import select
import socket
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from portal import outbound

# A global unicast address for names that must resolve "public" (documentation ranges are not global).
PUBLIC_ADDRESS = "93.184.215.14"


class DnsFake:
    """Names to the addresses the test says (changeable between lookups: DNS rebinding); every lookup is
    recorded. A name nobody set does not resolve."""

    def __init__(self) -> None:
        self.names: dict[str, list[str]] = {}
        self.lookups: list[str] = []
        self.after_first: dict[str, list[str]] = {}  # what a name answers from its second lookup on

    def __call__(self, host: str, port: int) -> list[outbound.IPAddress]:
        seen = host in self.lookups
        self.lookups.append(host)
        answers = self.after_first.get(host) if seen and host in self.after_first else self.names.get(host)
        if not answers:
            raise outbound.HostUnresolved(f"{host} could not be resolved (test resolver)")
        return [ipaddress.ip_address(a) for a in answers]


def dns_fake(monkeypatch: pytest.MonkeyPatch) -> DnsFake:
    """Replace the system resolver (portal.outbound.host_lookup) for this test."""
    fake = DnsFake()
    monkeypatch.setattr(outbound, "host_lookup", fake)
    return fake


class ConnectionListener:
    """A TCP socket listening on a loopback port that accepts nothing: a connection to it would wait in its
    backlog, so ``connected()`` tells, without waiting, whether anything reached it."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0), backlog=8)

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1]

    def connected(self) -> bool:
        readable, _, _ = select.select([self._socket], [], [], 0)
        return bool(readable)

    def close(self) -> None:
        self._socket.close()


class AnswerServer:
    """An HTTP server on a free loopback port whose every POST is answered by ``answer(handler)``; it records
    the path, Host header and (for TLS) the server name each request came with."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler], None],
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.requests: list[dict[str, str]] = []
        self.server_names: list[str | None] = []
        self.stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.requests.append({"path": self.path, "host": self.headers.get("Host", "")})
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client stopped reading
                    answer(self)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if ssl_context is not None:
            ssl_context.sni_callback = lambda sock, name, ctx: server.server_names.append(name)
            self._server.socket = ssl_context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def close(self) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()


def tls_contexts(tmp_path: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server, client) TLS contexts: the server's certificate is for ``name`` only, signed by a CA of the
    test's own that the client (and nothing else) trusts."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "outbound test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
          .not_valid_after(now + dt.timedelta(hours=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(pem) + key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "leaf.pem")
    client = ssl.create_default_context(cadata=ca.public_bytes(pem).decode())
    return server, client
